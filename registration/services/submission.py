"""Submitting a Representante request, and the files kept while a form has errors."""

from __future__ import annotations

import datetime
import hashlib
import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from registration.models import (
    OPEN_ENDED,
    RELEASED_STATUSES,
    CertificateFile,
    CodePurpose,
    OceRow,
    RegistrationRequest,
    RequestKind,
    RequestStatus,
    StagedCertificate,
    TrackingCounter,
    User,
)
from registration.services.codes import code_issue
from registration.services.common import APPLICANT_ACTOR, SubmissionConflict, record_event
from registration.services.secrets import hash_security_answer
from registration.services.versions import request_version_record

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OceEntry:
    oce_type_id: int
    code: str
    start_month: int
    start_year: int
    end_date: datetime.date = OPEN_ENDED


@dataclass(frozen=True)
class UploadedCertificate:
    name: str
    content: bytes


@dataclass(frozen=True)
class RepresentanteData:
    """What the applicant entered in Pasos 3–5 (already validated by the form)."""

    ruc: str
    razon_social: str
    direccion_empresa: str
    telefono_empresa: str
    id_usuario: str
    cedula: str
    nombre_usuario: str
    password: str
    question1_id: int
    answer1: str
    question2_id: int
    answer2: str
    question3_id: int
    answer3: str
    province_id: str
    canton_id: str
    direccion: str
    telefono1: str
    email: str
    telefono2: str = ""
    celular: str = ""
    operadora_id: str | None = None
    fax: str = ""
    senae_email: str = ""
    recibir_sms: bool = True
    ruc_warnings: tuple[str, ...] = ()
    oces: tuple[OceEntry, ...] = field(default_factory=tuple)


def _tracking_number_next(now: datetime.datetime) -> str:
    year = now.year
    TrackingCounter.objects.get_or_create(year=year)
    counter = TrackingCounter.objects.select_for_update().get(year=year)
    counter.last = F("last") + 1
    counter.save(update_fields=["last"])
    counter.refresh_from_db(fields=["last"])
    return f"SOL-{year}-{counter.last:06d}"


def availability_errors(
    *, id_usuario: str = "", cedula: str = "", email: str = ""
) -> dict[str, str]:
    """Which of these values another user or open request already holds.

    A disabled user of the same person (same cédula) holds nothing: their new
    request re-enables that account when it is activated.
    """
    errors: dict[str, str] = {}
    open_requests = RegistrationRequest.objects.exclude(status__in=RELEASED_STATUSES)
    other_users = (
        User.objects.exclude(is_active=False, cedula=cedula) if cedula else User.objects.all()
    )
    if id_usuario and (
        other_users.filter(username__iexact=id_usuario).exists()
        or open_requests.filter(id_usuario__iexact=id_usuario).exists()
    ):
        errors["id_usuario"] = "El ID. usuario ya está en uso. Elija otro."
    if cedula and (
        other_users.filter(cedula=cedula).exists()
        or open_requests.filter(cedula=cedula, kind=RequestKind.REPRESENTANTE).exists()
    ):
        errors["cedula"] = (
            "Ya existe un usuario o una solicitud en trámite con esta Doc. Identificación."
        )
    if email and User.objects.filter(email__iexact=email, is_active=True).exists():
        errors["email"] = "El Correo Electrónico ya está registrado para otro usuario."
    return errors


def store_certificates(request: RegistrationRequest, files: Sequence[UploadedCertificate]) -> None:
    seen: set[str] = set()
    for upload in files:
        digest = hashlib.sha256(upload.content).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        record = CertificateFile(
            request=request,
            original_name=upload.name[:255],
            size=len(upload.content),
            sha256=digest,
        )
        record.file.save(f"{digest}.cer", ContentFile(upload.content), save=False)
        record.save()


def staged_certificates_add(*, session_key: str, files: Sequence[UploadedCertificate]) -> None:
    for upload in files:
        digest = hashlib.sha256(upload.content).hexdigest()
        StagedCertificate.objects.get_or_create(
            session_key=session_key,
            kind="certificado",
            sha256=digest,
            defaults={
                "name": upload.name[:255],
                "size": len(upload.content),
                "content": upload.content,
            },
        )


def staged_signature_replace(*, session_key: str, upload: UploadedCertificate) -> None:
    """Keep the applicant's signature of the challenge (one per form)."""
    StagedCertificate.objects.filter(session_key=session_key, kind="firma").delete()
    StagedCertificate.objects.create(
        session_key=session_key,
        kind="firma",
        name=upload.name[:255],
        size=len(upload.content),
        sha256=hashlib.sha256(upload.content).hexdigest(),
        content=upload.content,
    )


def staged_signature_remove(*, session_key: str) -> bool:
    """Drop the kept signature (its challenge was retired); whether there was one."""
    deleted, _ = StagedCertificate.objects.filter(session_key=session_key, kind="firma").delete()
    return deleted > 0


def staged_certificates_remove(*, session_key: str, ids: Iterable[int]) -> None:
    StagedCertificate.objects.filter(
        session_key=session_key, kind="certificado", pk__in=list(ids)
    ).delete()


def staged_certificates_clear(*, session_key: str) -> None:
    StagedCertificate.objects.filter(session_key=session_key).delete()


@transaction.atomic
def oce_rows_create(request: RegistrationRequest, oces: Sequence[OceEntry]) -> None:
    OceRow.objects.bulk_create(
        OceRow(
            request=request,
            oce_type_id=o.oce_type_id,
            code=o.code,
            start_month=o.start_month,
            start_year=o.start_year,
            end_date=o.end_date,
        )
        for o in oces
    )


def request_submit(
    *,
    data: RepresentanteData,
    files: Sequence[UploadedCertificate],
    submission_token: uuid.UUID,
    possession_challenge: str = "",
    possession_signature: bytes = b"",
    source_ip: str | None = None,
    submission_session: str = "",
) -> RegistrationRequest:
    """Save a Representante request and start its process; once per form.

    A second submit of the same form (double click, retry) returns the first
    request. The certificate job is sent only after commit; if the broker is
    down the request is still saved and the sweep sends the job later.
    """
    request, _ = request_submit_created(
        data=data,
        files=files,
        submission_token=submission_token,
        possession_challenge=possession_challenge,
        possession_signature=possession_signature,
        source_ip=source_ip,
        submission_session=submission_session,
    )
    return request


def request_submit_created(
    *,
    data: RepresentanteData,
    files: Sequence[UploadedCertificate],
    submission_token: uuid.UUID,
    possession_challenge: str = "",
    possession_signature: bytes = b"",
    source_ip: str | None = None,
    submission_session: str = "",
) -> tuple[RegistrationRequest, bool]:
    """request_submit, saying whether this call created the request (False: the form's
    token was already used, so the caller must not treat the request as its own).

    `submission_session` names the browser that sent it (see views.access), so a
    later submit of the same token is recognised as that browser's only.
    """
    from approvals import services as approval_services

    existing = RegistrationRequest.objects.filter(submission_token=submission_token).first()
    if existing is not None:
        return existing, False
    errors = availability_errors(id_usuario=data.id_usuario, cedula=data.cedula, email=data.email)
    if errors:
        raise SubmissionConflict(errors)
    now = timezone.now()
    try:
        with transaction.atomic():
            request = RegistrationRequest.objects.create(
                tracking_number=_tracking_number_next(now),
                submission_token=submission_token,
                submission_session=submission_session,
                kind=RequestKind.REPRESENTANTE,
                status=RequestStatus.SUBMITTED,
                status_changed_at=now,
                ruc=data.ruc,
                razon_social=data.razon_social,
                direccion_empresa=data.direccion_empresa,
                telefono_empresa=data.telefono_empresa,
                ruc_warnings=list(data.ruc_warnings),
                id_usuario=data.id_usuario,
                cedula=data.cedula,
                nombre_usuario=data.nombre_usuario,
                password_hash=make_password(data.password),
                question1_id=data.question1_id,
                answer1_hash=hash_security_answer(data.answer1),
                question2_id=data.question2_id,
                answer2_hash=hash_security_answer(data.answer2),
                question3_id=data.question3_id,
                answer3_hash=hash_security_answer(data.answer3),
                province_id=data.province_id,
                canton_id=data.canton_id,
                direccion=data.direccion,
                telefono1=data.telefono1,
                telefono2=data.telefono2,
                celular=data.celular,
                operadora_id=data.operadora_id,
                fax=data.fax,
                email=data.email,
                senae_email=data.senae_email,
                recibir_sms=data.recibir_sms,
                possession_challenge=possession_challenge,
                possession_signature=possession_signature,
            )
    except IntegrityError as exc:
        existing = RegistrationRequest.objects.filter(submission_token=submission_token).first()
        if existing is not None:
            return existing, False
        # Lost a race for the ID. usuario or cédula against another applicant.
        raise SubmissionConflict(
            availability_errors(id_usuario=data.id_usuario, cedula=data.cedula)
            or {"id_usuario": "El ID. usuario ya está en uso. Elija otro."}
        ) from exc
    oce_rows_create(request, data.oces)
    store_certificates(request, files)
    request_version_record(request=request)
    record_event(
        request,
        from_status="",
        to_status=RequestStatus.SUBMITTED,
        actor=None,
        actor_label=APPLICANT_ACTOR,
        comment="Solicitud registrada.",
        source_ip=source_ip,
    )
    # The process waits for this code before the certificate is verified.
    code_issue(purpose=CodePurpose.EMAIL_CONFIRM, email=request.email, request=request)
    approval_services.process_start(request=request)
    return request, True


def staged_certificates_purge(*, older_than: datetime.timedelta) -> int:
    """Forget files of forms abandoned longer ago than a session lasts."""
    deleted, _ = StagedCertificate.objects.filter(created__lt=timezone.now() - older_than).delete()
    return deleted
