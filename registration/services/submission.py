"""Writing a submitted Representante request, and the files kept while a form has errors.

The whole submission, process start included, is one transaction in
workflow.services.request_submit; this module writes the registration side of it.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from registration.appointments import pdf_page_count
from registration.kinds import COMPANY_KINDS, declaration_for
from registration.models import (
    OPEN_ENDED,
    RELEASED_STATUSES,
    AppointmentFile,
    CertificateFile,
    CodePurpose,
    OceRow,
    RegistrationRequest,
    RequestKind,
    RequestStatus,
    StagedCertificate,
    TermsAcceptance,
    TrackingCounter,
    User,
)
from registration.selectors import company_with_representative, user_is_company_user
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


@dataclass(frozen=True, kw_only=True)
class PersonData:
    """The person's block of Pasos 3–5 (already validated by the form); every kind has it."""

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
    doc_type: str = "CEDULA DE IDENTIDAD"
    telefono2: str = ""
    celular: str = ""
    operadora_id: str | None = None
    fax: str = ""
    senae_email: str = ""
    recibir_sms: bool = True
    posicion: str = "REPRESENTANTES"
    # The version of the convenio the applicant accepted (the form asks for the current one).
    convenio_id: int | None = None

    kind: ClassVar[str]
    oces: tuple[OceEntry, ...] = ()

    def conflicts(self) -> dict[str, str]:
        """What this kind refuses in the data now (field → message), besides availability."""
        return {}


@dataclass(frozen=True, kw_only=True)
class RepresentanteData(PersonData):
    """Solicitud del uso (Representante): the person plus the company block and its OCEs."""

    kind: ClassVar[str] = RequestKind.REPRESENTANTE
    ruc: str
    razon_social: str
    direccion_empresa: str
    telefono_empresa: str
    ruc_warnings: tuple[str, ...] = ()
    oces: tuple[OceEntry, ...] = field(default_factory=tuple)


@dataclass(frozen=True, kw_only=True)
class EmpleadoData(PersonData):
    """Solicitud del uso (Empleado): the person, and the company (by its RUC) they work for.

    The razón social is the one our records hold for the RUC; ``company_id`` is that
    company, which has an active Representante (checked again at submission).
    """

    kind: ClassVar[str] = RequestKind.EMPLEADO
    ruc: str
    razon_social: str
    company_id: int

    def conflicts(self) -> dict[str, str]:
        representative = declaration_for(self.kind).represented_by
        company = company_with_representative(ruc=self.ruc, kind=representative)
        if company is None or company.pk != self.company_id:
            return {"ruc": no_representative_message(self.kind, self.ruc)}
        return {}


@dataclass(frozen=True, kw_only=True)
class EntidadData(EmpleadoData):
    """Solicitud del uso (Entidad): an official of a public entity that has an active
    Representante de la entidad (``company_id`` is the entity's record)."""

    kind: ClassVar[str] = RequestKind.ENTIDAD


@dataclass(frozen=True, kw_only=True)
class RepresentanteEntidadData(PersonData):
    """Solicitud del uso (Representante de la entidad): the person, the entity block, the
    VUE procedures the entity handles, and the appointment (PDF)."""

    kind: ClassVar[str] = RequestKind.REPRESENTANTE_ENTIDAD
    ruc: str
    razon_social: str
    direccion_empresa: str
    telefono_empresa: str
    procedures: tuple[str, ...]
    appointment: UploadedCertificate
    ruc_warnings: tuple[str, ...] = ()


# A member's organisation must have someone to approve them.
NO_REPRESENTATIVE = (
    "La empresa con RUC {ruc} no tiene un representante activo en ECUAPASS, y es él quien "
    "aprueba a sus empleados. El representante legal debe registrarse primero con "
    "«Solicitud del uso (Representante)»."
)
NO_ENTITY_REPRESENTATIVE = (
    "La entidad con RUC {ruc} no tiene un representante activo en ECUAPASS, y es él quien "
    "aprueba a sus funcionarios. La máxima autoridad de la entidad (o su delegado) debe "
    "registrarse primero con «Solicitud del uso (Representante de la entidad)»."
)


def no_representative_message(kind: str, ruc: str) -> str:
    """Why a member's request (Empleado, Entidad) can't name this RUC, and what to do first."""
    text = NO_ENTITY_REPRESENTATIVE if kind == RequestKind.ENTIDAD else NO_REPRESENTATIVE
    return text.format(ruc=ruc)


@dataclass(frozen=True, kw_only=True)
class GeneralData(PersonData):
    """Solicitud del uso (General): the person alone; a passport says its issuing country."""

    kind: ClassVar[str] = RequestKind.GENERAL
    doc_country: str = ""


# A request is written with this placeholder and numbered near the end
# (request_number_assign), so the counter row is locked only for the end of the transaction.
_UNNUMBERED = "PEND-"


def _placeholder_number() -> str:
    return _UNNUMBERED + uuid.uuid4().hex[:15]


def request_number_assign(*, request: RegistrationRequest, now: datetime.datetime) -> str:
    """Give a just-written request its tracking number, SOL-<year>-<n>.

    Call it at the end of the submitting transaction: the year's counter row stays
    locked until commit, so every other Registrar waits on it only that long.
    """
    year = now.year
    TrackingCounter.objects.get_or_create(year=year)
    updated = TrackingCounter.objects.filter(year=year).update(last=F("last") + 1)
    assert updated == 1
    last = TrackingCounter.objects.values_list("last", flat=True).get(year=year)
    request.tracking_number = f"SOL-{year}-{last:06d}"
    RegistrationRequest.objects.filter(pk=request.pk).update(
        tracking_number=request.tracking_number
    )
    return request.tracking_number


@dataclass(frozen=True)
class PersonSecrets:
    """The password and security answers as stored: Argon2 hashes, made before any lock."""

    password_hash: str
    answer1_hash: str
    answer2_hash: str
    answer3_hash: str


def person_secrets_hash(*, password: str, answers: Sequence[str]) -> PersonSecrets:
    """Hash once, outside any transaction (four Argon2 hashes take a noticeable time)."""
    answer1, answer2, answer3 = answers
    return PersonSecrets(
        password_hash=make_password(password),
        answer1_hash=hash_security_answer(answer1),
        answer2_hash=hash_security_answer(answer2),
        answer3_hash=hash_security_answer(answer3),
    )


def _own_account(*, cedula: str, kind: str) -> User | None:
    """The applicant's own account that this request may take over, if any.

    A disabled account of the same person (same cédula) is re-enabled by the new
    request's activation; a General user asking for a company user keeps the
    account, which the activation extends.
    """
    if not cedula:
        return None
    user = User.objects.filter(cedula=cedula).first()
    if user is None:
        return None
    if not user.is_active:
        return user
    if kind in COMPANY_KINDS and not user_is_company_user(user):
        return user
    return None


def availability_errors(
    *,
    id_usuario: str = "",
    cedula: str = "",
    email: str = "",
    kind: str = RequestKind.REPRESENTANTE,
) -> dict[str, str]:
    """Which of these values another user or open request already holds.

    The applicant's own account holds nothing against the request (_own_account);
    a General user asking for a company user must keep that account's ID. usuario.
    """
    errors: dict[str, str] = {}
    own = _own_account(cedula=cedula, kind=kind)
    open_requests = RegistrationRequest.objects.exclude(status__in=RELEASED_STATUSES)
    other_users = User.objects.all()
    if own is not None:
        other_users = other_users.exclude(pk=own.pk)
        open_requests = open_requests.exclude(user=own, status=RequestStatus.ACTIVE)
    if id_usuario and (
        other_users.filter(username__iexact=id_usuario).exists()
        or open_requests.filter(id_usuario__iexact=id_usuario).exists()
    ):
        errors["id_usuario"] = "El ID. usuario ya está en uso. Elija otro."
    elif (
        own is not None
        and own.is_active
        and id_usuario
        and own.username.lower() != id_usuario.lower()
    ):
        errors["id_usuario"] = (
            f"Ya tiene el usuario general «{own.username}» con esta Doc. Identificación: "
            "use ese ID. usuario y su usuario se ampliará al ser aprobada la solicitud."
        )
    if cedula and (
        other_users.filter(cedula=cedula).exists()
        or open_requests.filter(cedula=cedula, kind=kind).exists()
    ):
        errors["cedula"] = (
            "Ya existe un usuario o una solicitud en trámite con esta Doc. Identificación."
        )
    if email and other_users.filter(email__iexact=email, is_active=True).exists():
        errors["email"] = "El Correo Electrónico ya está registrado para otro usuario."
    return errors


def store_certificates(
    request: RegistrationRequest,
    files: Sequence[UploadedCertificate],
    *,
    written: list[str] | None = None,
) -> None:
    """Save the request's certificate files; each storage name is added to ``written``
    (so a rolled-back submission can delete them: see stored_files_delete)."""
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
        if written is not None and record.file.name:
            written.append(record.file.name)
        record.save()


def store_appointment(
    request: RegistrationRequest,
    upload: UploadedCertificate,
    *,
    written: list[str] | None = None,
) -> AppointmentFile:
    """Save (or replace, at a correction) the request's appointment PDF, already checked
    by registration.appointments; its storage name is added to ``written``."""
    digest = hashlib.sha256(upload.content).hexdigest()
    AppointmentFile.objects.filter(request=request).delete()
    record = AppointmentFile(
        request=request,
        original_name=upload.name[:255],
        size=len(upload.content),
        sha256=digest,
        pages=pdf_page_count(upload.content),
    )
    record.file.save(f"{digest}.pdf", ContentFile(upload.content), save=False)
    if written is not None and record.file.name:
        written.append(record.file.name)
    record.save()
    return record


def stored_files_delete(*, names: Sequence[str]) -> None:
    """Remove files a transaction wrote and then rolled back (their rows are gone)."""
    storage = CertificateFile._meta.get_field("file").storage
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            logger.warning("Could not delete the orphaned file %s", name, exc_info=True)


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
    staged_file_replace(session_key=session_key, kind="firma", upload=upload)


def staged_file_replace(*, session_key: str, kind: str, upload: UploadedCertificate) -> None:
    """Keep the form's one file of ``kind`` ("firma", "nombramiento"), replacing an earlier one."""
    StagedCertificate.objects.filter(session_key=session_key, kind=kind).delete()
    StagedCertificate.objects.create(
        session_key=session_key,
        kind=kind,
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


def request_create(
    *,
    data: PersonData,
    secrets: PersonSecrets,
    files: Sequence[UploadedCertificate],
    submission_token: uuid.UUID,
    possession_challenge: str = "",
    possession_signature: bytes = b"",
    source_ip: str | None = None,
    submission_session: str = "",
    written_files: list[str] | None = None,
) -> tuple[RegistrationRequest, bool]:
    """Write a request of ``data``'s kind: its row, OCE rows, files and first version; say whether this call created it (False: the form's token was
    already used, so the caller must not treat the request as its own).

    Runs in the caller's transaction (workflow.services.request_submit, which then
    starts the process, numbers the request and calls request_submitted_record). `submission_session` names the
    browser that sent it (see views.access), so a later submit of the same token is
    recognised as that browser's only. The storage names of the files written are
    added to ``written_files``.
    """
    existing = RegistrationRequest.objects.filter(submission_token=submission_token).first()
    if existing is not None:
        return existing, False
    errors = availability_errors(
        id_usuario=data.id_usuario, cedula=data.cedula, email=data.email, kind=data.kind
    )
    errors.update(data.conflicts())
    if errors:
        raise SubmissionConflict(errors)
    declaration = declaration_for(data.kind)
    now = timezone.now()
    try:
        with transaction.atomic():  # a savepoint: a lost race is told, not a broken transaction
            request = RegistrationRequest.objects.create(
                tracking_number=_placeholder_number(),
                submission_token=submission_token,
                submission_session=submission_session,
                kind=data.kind,
                status=RequestStatus.SUBMITTED,
                status_changed_at=now,
                **declaration.request_values(data),
                id_usuario=data.id_usuario,
                doc_type=data.doc_type,
                cedula=data.cedula,
                nombre_usuario=data.nombre_usuario,
                password_hash=secrets.password_hash,
                question1_id=data.question1_id,
                answer1_hash=secrets.answer1_hash,
                question2_id=data.question2_id,
                answer2_hash=secrets.answer2_hash,
                question3_id=data.question3_id,
                answer3_hash=secrets.answer3_hash,
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
                posicion=data.posicion,
                possession_challenge=possession_challenge,
                possession_signature=possession_signature,
            )
    except IntegrityError as exc:
        existing = RegistrationRequest.objects.filter(submission_token=submission_token).first()
        if existing is not None:
            return existing, False
        # Lost a race for the ID. usuario or cédula against another applicant.
        raise SubmissionConflict(
            availability_errors(id_usuario=data.id_usuario, cedula=data.cedula, kind=data.kind)
            or {"id_usuario": "El ID. usuario ya está en uso. Elija otro."}
        ) from exc
    declaration.details_create(request, data)
    oce_rows_create(request, data.oces)
    store_certificates(request, files, written=written_files)
    if declaration.appointment:
        store_appointment(request, getattr(data, "appointment"), written=written_files)  # noqa: B009
    if data.convenio_id is not None:
        TermsAcceptance.objects.create(
            version_id=data.convenio_id, request=request, context="registro", source_ip=source_ip
        )
    request_version_record(request=request)
    return request, True


def request_submitted_record(*, request: RegistrationRequest, source_ip: str | None = None) -> None:
    """The history row (and with it the "Solicitud registrada" message) and the email code.

    Called once the request has its tracking number (request_number_assign), which
    both carry; still in the submitting transaction.
    """
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


def staged_certificates_purge(*, older_than: datetime.timedelta) -> int:
    """Forget files of forms abandoned longer ago than a session lasts."""
    deleted, _ = StagedCertificate.objects.filter(created__lt=timezone.now() - older_than).delete()
    return deleted
