"""The request after submission: verification, decisions, corrections, activation."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from django.db import IntegrityError, transaction
from django.utils import timezone

from registration import certificates
from registration.models import (
    CertificateBinding,
    CodePurpose,
    Company,
    RegistrationRequest,
    RequestStatus,
    User,
)
from registration.selectors import request_verification_reasons
from registration.services.codes import code_issue
from registration.services.common import (
    APPLICANT_ACTOR,
    ActivationConflict,
    SubmissionConflict,
    TransitionNotAllowed,
    locked_request,
    request_note,
    transition,
)
from registration.services.submission import (
    OceEntry,
    UploadedCertificate,
    availability_errors,
    oce_rows_create,
    store_certificates,
)
from registration.services.versions import FIELD_LABELS, request_version_record

logger = logging.getLogger(__name__)


def _decide(
    request_id: int,
    *,
    actor: User,
    to: RequestStatus,
    comment: str,
    source_ip: str | None,
    **fields: Any,
) -> RegistrationRequest:
    """A reviewer's decision on a verified request: who, when, from where, and what it says."""
    request = locked_request(request_id)
    for name, value in fields.items():
        setattr(request, name, value)
    request.decided_by = actor
    request.decided_at = timezone.now()
    transition(
        request,
        allowed_from=[RequestStatus.CERTIFICATE_VERIFIED],
        to=to,
        actor=actor,
        comment=comment,
        update_fields=[*fields, "decided_by", "decided_at"],
        source_ip=source_ip,
    )
    return request


def request_approve(
    *, request_id: int, actor: User, source_ip: str | None = None
) -> RegistrationRequest:
    return _decide(
        request_id,
        actor=actor,
        to=RequestStatus.COMPANY_APPROVED,
        comment="Aprobada por el SENAE.",
        source_ip=source_ip,
    )


def request_observe(
    *,
    request_id: int,
    actor: User,
    comments: str,
    items: Sequence[str] = (),
    source_ip: str | None = None,
) -> RegistrationRequest:
    """Send the request back with comments tied to the fields and files to correct."""
    described = f" [{', '.join(items)}]" if items else ""
    return _decide(
        request_id,
        actor=actor,
        to=RequestStatus.OBSERVED,
        comment=comments + described,
        source_ip=source_ip,
        observation=comments,
        observed_items=list(items),
    )


def request_reject(
    *, request_id: int, actor: User, reason: str, source_ip: str | None = None
) -> RegistrationRequest:
    return _decide(
        request_id,
        actor=actor,
        to=RequestStatus.REJECTED,
        comment=reason,
        source_ip=source_ip,
        rejection_reason=reason,
    )


@dataclass(frozen=True)
class CorrectionData:
    """What the applicant sent back. A field left as None was not sent and stays as it is.

    `request_resubmit` accepts only the items `correctable_items` allows.
    """

    ruc: str | None = None
    razon_social: str | None = None
    direccion_empresa: str | None = None
    telefono_empresa: str | None = None
    cedula: str | None = None
    nombre_usuario: str | None = None
    email: str | None = None
    # The whole "Tipo de OCEs" table as corrected (None: not sent).
    oces: tuple[OceEntry, ...] | None = None
    new_files: tuple[UploadedCertificate, ...] = ()
    remove_file_ids: tuple[int, ...] = ()
    ruc_warnings: tuple[str, ...] = ()
    # A new signed challenge (needed when the certificate changes).
    possession_challenge: str = ""
    possession_signature: bytes = b""
    source_ip: str | None = None


# The request's own fields an applicant can be asked to correct (approvals.forms.OBSERVABLE_FIELDS).
CORRECTABLE_FIELDS = (
    "ruc",
    "razon_social",
    "direccion_empresa",
    "telefono_empresa",
    "cedula",
    "nombre_usuario",
    "email",
)
# The other items a reviewer can observe: the OCE table, and the certificate files
# (each observed as "archivo:<name>"; "certificados" stands for all of them).
OCES_ITEM = "oces"
CERTIFICATES_ITEM = "certificados"
FILE_ITEM_PREFIX = "archivo:"
# A failed verification matched the certificate's identity against these.
IDENTITY_FIELDS = ("ruc", "cedula")


def correctable_items(*, request: RegistrationRequest) -> frozenset[str]:
    """What the applicant may change now: names of CORRECTABLE_FIELDS, "oces", "certificados".

    - Observed: only what the reviewer observed. An observed certificate file
      opens the certificates (add, remove, and sign the challenge again). An
      observation that names nothing (made before reviewers named items) opens
      every item, so such an applicant is not stuck.
    - Verification failed: the certificates and the signed challenge, which is
      what failed, plus the RUC and the cédula, because the certificate's
      identity is matched against them and a typo there fails a good
      certificate. The rest was not checked, so it stays as sent.
    - Any other state: nothing.
    """
    if request.status == RequestStatus.VERIFICATION_FAILED:
        return frozenset({CERTIFICATES_ITEM, *IDENTITY_FIELDS})
    if request.status != RequestStatus.OBSERVED:
        return frozenset()
    observed = [str(item) for item in request.observed_items or []]
    if not observed:
        return frozenset({*CORRECTABLE_FIELDS, OCES_ITEM, CERTIFICATES_ITEM})
    items = {item for item in observed if item in (*CORRECTABLE_FIELDS, OCES_ITEM)}
    if any(item == CERTIFICATES_ITEM or item.startswith(FILE_ITEM_PREFIX) for item in observed):
        items.add(CERTIFICATES_ITEM)
    return frozenset(items)


def removable_certificate_ids(*, request: RegistrationRequest) -> frozenset[int] | None:
    """The uploaded files a correction may remove: None for any, else only the observed ones.

    A reviewer who observed one file (`archivo:<name>`) opens that file for
    replacement; the applicant may add files, but the others stay.
    """
    observed = [str(item) for item in request.observed_items or []]
    if request.status != RequestStatus.OBSERVED or CERTIFICATES_ITEM in observed:
        return None
    names = {i.removeprefix(FILE_ITEM_PREFIX) for i in observed if i.startswith(FILE_ITEM_PREFIX)}
    if not names:
        return None
    return frozenset(c.pk for c in request.certificates.all() if c.original_name in names)


def correction_item_label(item: str) -> str:
    """An observed item as the applicant and the reviewer read it."""
    if item.startswith(FILE_ITEM_PREFIX):
        return f"Archivo {item.removeprefix(FILE_ITEM_PREFIX)}"
    if item == OCES_ITEM:
        return "Tipo de OCEs"
    if item == CERTIFICATES_ITEM:
        return "Certificado digital"
    return FIELD_LABELS.get(item, item)


def _oce_key(entry: OceEntry) -> tuple[int, str, int, int, str]:
    return (
        entry.oce_type_id,
        entry.code,
        entry.start_month,
        entry.start_year,
        entry.end_date.isoformat(),
    )


def _current_oces(request: RegistrationRequest) -> list[OceEntry]:
    return [
        OceEntry(
            oce_type_id=row.oce_type_id,
            code=row.code,
            start_month=row.start_month,
            start_year=row.start_year,
            end_date=row.end_date,
        )
        for row in request.oces.order_by("id")
    ]


def _refuse_outside(
    request: RegistrationRequest, data: CorrectionData, allowed: frozenset[str]
) -> None:
    """The real guard: a change to anything not open for correction is refused, whatever sent it."""
    errors: dict[str, str] = {}
    for name in CORRECTABLE_FIELDS:
        new = getattr(data, name)
        if name not in allowed and new is not None and new != getattr(request, name):
            errors[name] = (
                f"«{FIELD_LABELS[name]}» no está abierto a corrección: no se puede cambiar."
            )
    if (
        OCES_ITEM not in allowed
        and data.oces is not None
        and sorted(map(_oce_key, data.oces)) != sorted(map(_oce_key, _current_oces(request)))
    ):
        errors[OCES_ITEM] = "«Tipo de OCEs» no está abierto a corrección: no se puede cambiar."
    if CERTIFICATES_ITEM not in allowed and (
        data.new_files or data.remove_file_ids or data.possession_signature
    ):
        errors[CERTIFICATES_ITEM] = (
            "Los certificados digitales no están abiertos a corrección: no se pueden cambiar."
        )
    removable = removable_certificate_ids(request=request)
    if removable is not None and set(data.remove_file_ids) - removable:
        errors[CERTIFICATES_ITEM] = "Solo puede eliminar los archivos que el revisor observó."
    if errors:
        raise SubmissionConflict(errors)


def _answering(request: RegistrationRequest) -> dict[str, Any]:
    """What the correction answers: the reviewer's observation, or why verification failed."""
    if request.status == RequestStatus.OBSERVED:
        return {
            "status": request.status,
            "observation": request.observation,
            "observed_items": list(request.observed_items or []),
            "by": request.decided_by.username if request.decided_by else "",
            "at": request.decided_at.isoformat() if request.decided_at else "",
        }
    return {
        "status": request.status,
        "reasons": request_verification_reasons(request=request),
        "at": request.verified_at.isoformat() if request.verified_at else "",
    }


def _oces_replace(request: RegistrationRequest, oces: tuple[OceEntry, ...]) -> bool:
    """Replace the OCE table with the corrected one; False when nothing changed."""
    if not oces:
        raise SubmissionConflict({OCES_ITEM: "Agregue al menos un OCE (tipo, código e inicio)."})
    codes = [o.code for o in oces]
    if len(set(codes)) != len(codes):
        raise SubmissionConflict({OCES_ITEM: "Hay códigos de OCE repetidos."})
    if sorted(map(_oce_key, oces)) == sorted(map(_oce_key, _current_oces(request))):
        return False
    request.oces.all().delete()
    oce_rows_create(request, oces)
    return True


@transaction.atomic
def request_resubmit(*, request_id: int, data: CorrectionData) -> RegistrationRequest:
    """The applicant's corrections; the request goes back to certificate verification.

    Only the items `correctable_items` allows may change (anything else is a
    SubmissionConflict, even if the form was bypassed). Each resubmission is
    kept as a new RequestVersion; a request sent before versions existed first
    gets its state before the correction recorded as version 1. A new email
    must be confirmed again (the flow reads `email_confirmed_at`).

    Runs inside the flow lock (approvals.services.correction_submit).
    """
    request = locked_request(request_id)
    if not request.is_correctable:
        raise TransitionNotAllowed("Esta solicitud no está abierta a correcciones.")
    _refuse_outside(request, data, correctable_items(request=request))
    if not request.versions.exists():
        request_version_record(request=request)
    answering = _answering(request)
    changed_fields: list[str] = []
    for name in CORRECTABLE_FIELDS:
        new = getattr(data, name)
        if new is not None and getattr(request, name) != new:
            changed_fields.append(name)
            setattr(request, name, new)
    taken = availability_errors(
        cedula=request.cedula if "cedula" in changed_fields else "",
        email=request.email if "email" in changed_fields else "",
    )
    if taken:
        raise SubmissionConflict(taken)
    described = [FIELD_LABELS[name] for name in changed_fields]
    update_fields = [*changed_fields]
    if data.ruc is not None:
        request.ruc_warnings = list(data.ruc_warnings)
        update_fields.append("ruc_warnings")
    if "email" in changed_fields:
        request.email_confirmed_at = None
        update_fields.append("email_confirmed_at")
    if data.oces is not None and _oces_replace(request, data.oces):
        described.append("Tipo de OCEs")
    if data.possession_signature:
        request.possession_challenge = data.possession_challenge
        request.possession_signature = data.possession_signature
        update_fields.extend(["possession_challenge", "possession_signature"])
        described.append("firma del reto")
    if data.remove_file_ids:
        request.certificates.filter(pk__in=data.remove_file_ids).delete()
    # A file the request already holds is not added twice.
    held = set(request.certificates.values_list("sha256", flat=True))
    new_files = [f for f in data.new_files if hashlib.sha256(f.content).hexdigest() not in held]
    store_certificates(request, new_files)
    if not request.certificates.exists():
        raise SubmissionConflict({CERTIFICATES_ITEM: "Adjunte al menos un certificado digital."})
    if new_files or data.remove_file_ids:
        described.append("certificados")
    try:
        with transaction.atomic():
            transition(
                request,
                allowed_from=[RequestStatus.OBSERVED, RequestStatus.VERIFICATION_FAILED],
                to=RequestStatus.SUBMITTED,
                actor_label=APPLICANT_ACTOR,
                source_ip=data.source_ip,
                comment="Corregida por el solicitante"
                + (f" ({', '.join(described)})." if described else " sin cambios."),
                update_fields=update_fields,
            )
    except IntegrityError as exc:
        # Lost a race for the cédula against another applicant's request.
        raise SubmissionConflict(
            availability_errors(cedula=request.cedula)
            or {"cedula": "Ya existe una solicitud en trámite con esta Doc. Identificación."}
        ) from exc
    if "email" in changed_fields:
        # The flow waits for this code before verifying again (as after Registrar).
        code_issue(purpose=CodePurpose.EMAIL_CONFIRM, email=request.email, request=request)
    request_version_record(request=request, answering=answering)
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


def _certificate_bind(request: RegistrationRequest, user: User) -> CertificateBinding:
    """Bind the verified certificate to the user by issuer, serial and SHA-256."""
    passed = next((r for r in request.verification.get("results", []) if r.get("valid")), None)
    if passed is None:
        raise ActivationConflict("La solicitud no tiene un certificado verificado.")
    cert_file = request.certificates.get(pk=passed["file_id"])
    with cert_file.file.open("rb") as handle:
        leaf = certificates.load_certificate(handle.read())
    CertificateBinding.objects.filter(user=user, active=True).update(active=False)
    try:
        with transaction.atomic():
            return CertificateBinding.objects.create(
                user=user,
                request=request,
                issuer=leaf.issuer.rfc4514_string()[:500],
                serial_number=format(leaf.serial_number, "x"),
                sha256=leaf.fingerprint(hashes.SHA256()).hex(),
                certificate=leaf.public_bytes(serialization.Encoding.DER),
                not_after=leaf.not_valid_after_utc,
            )
    except IntegrityError as exc:
        raise ActivationConflict("El certificado ya respalda a otro usuario activo.") from exc


def request_activate(*, request_id: int) -> None:
    """Create (or re-enable) the user with the ID. usuario and password of the form.

    A no-op unless the request is approved; runs inside the flow lock.
    """
    request = locked_request(request_id)
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
    user.celular = request.celular
    user.recibir_sms = request.recibir_sms
    user.is_active = True
    user.save()
    _certificate_bind(request, user)
    request.company = _company_upsert(request)
    request.user = user
    transition(
        request,
        allowed_from=[RequestStatus.COMPANY_APPROVED],
        to=RequestStatus.ACTIVE,
        comment=f"Usuario {user.username} activado.",
        update_fields=["company", "user"],
    )


def request_record_job_failure(*, request_id: int, step: str, error: str) -> None:
    """Note on the request's history that an automatic step needs a person."""
    request_note(
        request_id=request_id,
        actor=None,
        comment=f"Error técnico en «{step}»: {error}. Un supervisor debe reintentarlo.",
    )
