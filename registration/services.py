"""Every write of the applicant side. A request's state changes only here."""

from __future__ import annotations

import csv
import datetime
import hashlib
import json
import logging
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core import signing
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from registration import certificates
from registration.models import (
    OPEN_ENDED,
    RELEASED_STATUSES,
    Canton,
    CertificateFile,
    Company,
    MobileOperator,
    OceRow,
    OceType,
    Province,
    RegistrationRequest,
    RequestEvent,
    RequestKind,
    RequestStatus,
    SecurityQuestion,
    StagedCertificate,
    TrackingCounter,
    User,
)

logger = logging.getLogger(__name__)

SYSTEM_ACTOR = "sistema"
APPLICANT_ACTOR = "solicitante"
_ACCESS_SALT = "registration.request-access"


class SubmissionConflict(Exception):
    """The submission can't be saved as it is; `errors` maps form fields to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class TransitionNotAllowed(Exception):
    """The request is not in a state that allows this change."""


class ActivationConflict(Exception):
    """The ID. usuario belongs to another person; activation needs a person to look."""


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


def normalize_security_answer(answer: str) -> str:
    """Answers are compared case-, accent- and spacing-insensitively."""
    decomposed = unicodedata.normalize("NFKD", answer.casefold())
    without_accents = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(without_accents.split())


def hash_security_answer(answer: str) -> str:
    return make_password(normalize_security_answer(answer))


def request_access_token(request: RegistrationRequest) -> str:
    """The unguessable part of the applicant's status link."""
    return signing.dumps(request.tracking_number, salt=_ACCESS_SALT)


def request_from_access_token(token: str) -> str | None:
    try:
        value = signing.loads(token, salt=_ACCESS_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, str) else None


def _tracking_number_next(now: datetime.datetime) -> str:
    year = now.year
    TrackingCounter.objects.get_or_create(year=year)
    counter = TrackingCounter.objects.select_for_update().get(year=year)
    counter.last = F("last") + 1
    counter.save(update_fields=["last"])
    counter.refresh_from_db(fields=["last"])
    return f"SOL-{year}-{counter.last:06d}"


def _record_event(
    request: RegistrationRequest,
    *,
    from_status: str,
    to_status: str,
    actor: User | None,
    actor_label: str,
    comment: str = "",
) -> None:
    RequestEvent.objects.create(
        request=request,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        actor_label=actor.username if actor is not None else actor_label,
        comment=comment,
    )


def _transition(
    request: RegistrationRequest,
    *,
    allowed_from: Iterable[str],
    to: RequestStatus,
    actor: User | None = None,
    actor_label: str = SYSTEM_ACTOR,
    comment: str = "",
    update_fields: Sequence[str] = (),
) -> None:
    """Move a locked request to `to` and append the history row."""
    allowed = tuple(allowed_from)
    if request.status not in allowed:
        raise TransitionNotAllowed(
            f"{request.tracking_number}: {request.status} → {to} no está permitido."
        )
    from_status = request.status
    request.status = to
    request.save(update_fields=["status", "updated", *update_fields])
    _record_event(
        request,
        from_status=from_status,
        to_status=to,
        actor=actor,
        actor_label=actor_label,
        comment=comment,
    )


def _locked(request_id: int) -> RegistrationRequest:
    return RegistrationRequest.objects.select_for_update().get(pk=request_id)


def availability_errors(
    *, id_usuario: str = "", cedula: str = "", email: str = ""
) -> dict[str, str]:
    """Which of these values another user or open request already holds."""
    errors: dict[str, str] = {}
    open_requests = RegistrationRequest.objects.exclude(status__in=RELEASED_STATUSES)
    if id_usuario and (
        User.objects.filter(username__iexact=id_usuario).exists()
        or open_requests.filter(id_usuario__iexact=id_usuario).exists()
    ):
        errors["id_usuario"] = "El ID. usuario ya está en uso. Elija otro."
    if cedula and (
        User.objects.filter(cedula=cedula).exists()
        or open_requests.filter(cedula=cedula, kind=RequestKind.REPRESENTANTE).exists()
    ):
        errors["cedula"] = (
            "Ya existe un usuario o una solicitud en trámite con esta Doc. Identificación."
        )
    if email and User.objects.filter(email__iexact=email, is_active=True).exists():
        errors["email"] = "El Correo Electrónico ya está registrado para otro usuario."
    return errors


def _store_certificates(request: RegistrationRequest, files: Sequence[UploadedCertificate]) -> None:
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
            sha256=digest,
            defaults={
                "name": upload.name[:255],
                "size": len(upload.content),
                "content": upload.content,
            },
        )


def staged_certificates_remove(*, session_key: str, ids: Iterable[int]) -> None:
    StagedCertificate.objects.filter(session_key=session_key, pk__in=list(ids)).delete()


def staged_certificates_clear(*, session_key: str) -> None:
    StagedCertificate.objects.filter(session_key=session_key).delete()


@transaction.atomic
def request_submit(
    *, data: RepresentanteData, files: Sequence[UploadedCertificate], submission_token: uuid.UUID
) -> RegistrationRequest:
    """Save a Representante request and start its process; once per form.

    A second submit of the same form (double click, retry) returns the first
    request. The certificate job is sent only after commit; if the broker is
    down the request is still saved and the sweep sends the job later.
    """
    from approvals import services as approval_services

    existing = RegistrationRequest.objects.filter(submission_token=submission_token).first()
    if existing is not None:
        return existing
    errors = availability_errors(id_usuario=data.id_usuario, cedula=data.cedula, email=data.email)
    if errors:
        raise SubmissionConflict(errors)
    now = timezone.now()
    try:
        with transaction.atomic():
            request = RegistrationRequest.objects.create(
                tracking_number=_tracking_number_next(now),
                submission_token=submission_token,
                kind=RequestKind.REPRESENTANTE,
                status=RequestStatus.SUBMITTED,
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
            )
    except IntegrityError as exc:
        existing = RegistrationRequest.objects.filter(submission_token=submission_token).first()
        if existing is not None:
            return existing
        # Lost a race for the ID. usuario or cédula against another applicant.
        raise SubmissionConflict(
            availability_errors(id_usuario=data.id_usuario, cedula=data.cedula)
            or {"id_usuario": "El ID. usuario ya está en uso. Elija otro."}
        ) from exc
    OceRow.objects.bulk_create(
        OceRow(
            request=request,
            oce_type_id=o.oce_type_id,
            code=o.code,
            start_month=o.start_month,
            start_year=o.start_year,
            end_date=o.end_date,
        )
        for o in data.oces
    )
    _store_certificates(request, files)
    _record_event(
        request,
        from_status="",
        to_status=RequestStatus.SUBMITTED,
        actor=None,
        actor_label=APPLICANT_ACTOR,
        comment="Solicitud registrada.",
    )
    approval_services.process_start(request=request)
    return request


def request_verify_certificate(*, request_id: int) -> None:
    """Check the uploaded certificates against the form; a no-op unless submitted.

    Runs inside the flow lock's transaction (see approvals.nodes).
    """
    request = _locked(request_id)
    if request.status != RequestStatus.SUBMITTED:
        return
    results: list[dict[str, Any]] = []
    for cert_file in request.certificates.all():
        with cert_file.file.open("rb") as handle:
            content = handle.read()
        result = certificates.verify_certificate(
            content, expected_cedula=request.cedula, expected_ruc=request.ruc
        )
        results.append({"file": cert_file.original_name, **result.to_dict()})
    passed = [r for r in results if r["valid"]]
    request.verification = {"checked_at": timezone.now().isoformat(), "results": results}
    request.verified_at = timezone.now()
    if passed:
        _transition(
            request,
            allowed_from=[RequestStatus.SUBMITTED],
            to=RequestStatus.CERTIFICATE_VERIFIED,
            comment=f"Certificado verificado: {passed[0]['file']}.",
            update_fields=["verification", "verified_at"],
        )
    else:
        reasons = [reason for r in results for reason in r["reasons"]] or [
            "No se adjuntó ningún certificado digital."
        ]
        _transition(
            request,
            allowed_from=[RequestStatus.SUBMITTED],
            to=RequestStatus.VERIFICATION_FAILED,
            comment=" ".join(reasons),
            update_fields=["verification", "verified_at"],
        )


def request_verification_reasons(request: RegistrationRequest) -> list[str]:
    """The reasons the last verification gave, for the applicant and the reviewer."""
    results = request.verification.get("results", []) if request.verification else []
    if results and not any(r.get("valid") for r in results):
        return [reason for r in results for reason in r.get("reasons", [])]
    return []


def request_approve(*, request_id: int, actor: User) -> RegistrationRequest:
    request = _locked(request_id)
    request.decided_by = actor
    request.decided_at = timezone.now()
    _transition(
        request,
        allowed_from=[RequestStatus.CERTIFICATE_VERIFIED],
        to=RequestStatus.COMPANY_APPROVED,
        actor=actor,
        comment="Aprobada por el SENAE.",
        update_fields=["decided_by", "decided_at"],
    )
    return request


def request_observe(*, request_id: int, actor: User, comments: str) -> RegistrationRequest:
    request = _locked(request_id)
    request.observation = comments
    request.decided_by = actor
    request.decided_at = timezone.now()
    _transition(
        request,
        allowed_from=[RequestStatus.CERTIFICATE_VERIFIED],
        to=RequestStatus.OBSERVED,
        actor=actor,
        comment=comments,
        update_fields=["observation", "decided_by", "decided_at"],
    )
    return request


def request_reject(*, request_id: int, actor: User, reason: str) -> RegistrationRequest:
    request = _locked(request_id)
    request.rejection_reason = reason
    request.decided_by = actor
    request.decided_at = timezone.now()
    _transition(
        request,
        allowed_from=[RequestStatus.CERTIFICATE_VERIFIED],
        to=RequestStatus.REJECTED,
        actor=actor,
        comment=reason,
        update_fields=["rejection_reason", "decided_by", "decided_at"],
    )
    return request


@dataclass(frozen=True)
class CorrectionData:
    """What an applicant may change when correcting a request."""

    ruc: str
    razon_social: str
    direccion_empresa: str
    telefono_empresa: str
    cedula: str
    nombre_usuario: str
    email: str
    new_files: tuple[UploadedCertificate, ...] = ()
    remove_file_ids: tuple[int, ...] = ()
    ruc_warnings: tuple[str, ...] = ()


CORRECTABLE_FIELDS = (
    "ruc",
    "razon_social",
    "direccion_empresa",
    "telefono_empresa",
    "cedula",
    "nombre_usuario",
    "email",
)


def request_resubmit(*, request_id: int, data: CorrectionData) -> RegistrationRequest:
    """The applicant's corrections; the request goes back to certificate verification.

    Runs inside the flow lock (approvals.services.correction_submit).
    """
    request = _locked(request_id)
    if not request.is_correctable:
        raise TransitionNotAllowed("Esta solicitud no está abierta a correcciones.")
    changed_fields = []
    for name in CORRECTABLE_FIELDS:
        new = getattr(data, name)
        if getattr(request, name) != new:
            changed_fields.append(name)
            setattr(request, name, new)
    request.ruc_warnings = list(data.ruc_warnings)
    if data.remove_file_ids:
        request.certificates.filter(pk__in=data.remove_file_ids).delete()
    _store_certificates(request, data.new_files)
    if not request.certificates.exists():
        raise SubmissionConflict({"certificados": "Adjunte al menos un certificado digital."})
    described = [*changed_fields]
    if data.new_files or data.remove_file_ids:
        described.append("certificados")
    _transition(
        request,
        allowed_from=[RequestStatus.OBSERVED, RequestStatus.VERIFICATION_FAILED],
        to=RequestStatus.SUBMITTED,
        actor_label=APPLICANT_ACTOR,
        comment="Corregida por el solicitante"
        + (f" ({', '.join(described)})." if described else " sin cambios."),
        update_fields=[*changed_fields, "ruc_warnings"],
    )
    return request


def _company_upsert(request: RegistrationRequest) -> Company:
    company, created = Company.objects.get_or_create(
        ruc=request.ruc,
        defaults={
            "razon_social": request.razon_social,
            "direccion": request.direccion_empresa,
            "telefono": request.telefono_empresa,
        },
    )
    if not created:
        company.direccion = request.direccion_empresa
        company.telefono = request.telefono_empresa
        company.save(update_fields=["direccion", "telefono", "updated"])
    return company


def request_activate(*, request_id: int) -> None:
    """Create (or re-enable) the user with the ID. usuario and password of the form.

    A no-op unless the request is approved; runs inside the flow lock.
    """
    request = _locked(request_id)
    if request.status != RequestStatus.COMPANY_APPROVED:
        return
    user = User.objects.select_for_update().filter(username__iexact=request.id_usuario).first()
    if user is not None and user.cedula != request.cedula:
        raise ActivationConflict(f"El ID. usuario {request.id_usuario} pertenece a otra persona.")
    if user is None:
        user = User(username=request.id_usuario, cedula=request.cedula)
    user.password = request.password_hash
    user.email = request.email
    user.first_name = request.nombre_usuario[:150]
    user.is_active = True
    user.save()
    request.company = _company_upsert(request)
    request.user = user
    _transition(
        request,
        allowed_from=[RequestStatus.COMPANY_APPROVED],
        to=RequestStatus.ACTIVE,
        comment=f"Usuario {user.username} activado.",
        update_fields=["company", "user"],
    )


def request_record_job_failure(*, request_id: int, step: str, error: str) -> None:
    """Note on the request's history that an automatic step needs a person."""
    request = RegistrationRequest.objects.get(pk=request_id)
    _record_event(
        request,
        from_status=request.status,
        to_status=request.status,
        actor=None,
        actor_label=SYSTEM_ACTOR,
        comment=f"Error técnico en «{step}»: {error}. Un supervisor debe reintentarlo.",
    )


# --- Reference data -----------------------------------------------------------

REFERENCE_DIR = Path(__file__).resolve().parent / "data"


@transaction.atomic
def reference_data_load() -> dict[str, int]:
    """Load provinces, cantones and catalogues; running it again changes nothing."""
    with (REFERENCE_DIR / "provincias.csv").open(encoding="utf-8") as handle:
        provinces = list(csv.DictReader(handle))
    for row in provinces:
        Province.objects.update_or_create(code=row["codigo"], defaults={"name": row["nombre"]})
    with (REFERENCE_DIR / "cantones.csv").open(encoding="utf-8") as handle:
        cantones = list(csv.DictReader(handle))
    for row in cantones:
        Canton.objects.update_or_create(
            code=row["codigo"], defaults={"province_id": row["provincia"], "name": row["nombre"]}
        )
    catalogues = json.loads((REFERENCE_DIR / "catalogos.json").read_text(encoding="utf-8"))
    for name in catalogues["oce_types"]:
        OceType.objects.get_or_create(name=name)
    for question in catalogues["security_questions"]:
        SecurityQuestion.objects.update_or_create(
            text=question["text"], defaults={"slot": question["slot"]}
        )
    for operator in catalogues["mobile_operators"]:
        MobileOperator.objects.update_or_create(
            code=operator["code"], defaults={"name": operator["name"]}
        )
    return {
        "provincias": len(provinces),
        "cantones": len(cantones),
        "tipos de OCE": len(catalogues["oce_types"]),
        "preguntas de clave": len(catalogues["security_questions"]),
        "operadoras": len(catalogues["mobile_operators"]),
    }
