"""The correction loop: what an observed or failed request opens, and the resubmission."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from registration.kinds import FIELD_LABELS, KINDS, declaration_for
from registration.models import (
    CORRECTABLE_STATUSES,
    CodePurpose,
    RegistrationRequest,
    RequestStatus,
    VueProcedure,
)
from registration.selectors import request_verification_reasons
from registration.services.codes import (
    CodeCheck,
    code_check,
    code_issue,
    mask_email,
    request_code_send,
)
from registration.services.common import (
    APPLICANT_ACTOR,
    SubmissionConflict,
    TransitionNotAllowed,
    local_time_text,
    locked_request,
    transition,
)
from registration.services.notices import account_notice_queue
from registration.services.submission import (
    OceEntry,
    UploadedCertificate,
    availability_errors,
    oce_rows_create,
    store_appointment,
    store_certificates,
)
from registration.services.versions import request_version_record

logger = logging.getLogger(__name__)


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
    # The VUE procedures a public entity handles, as corrected (None: not sent).
    procedures: tuple[str, ...] | None = None
    # The whole "Tipo de OCEs" table as corrected (None: not sent).
    oces: tuple[OceEntry, ...] | None = None
    # A new appointment PDF, already checked by registration.appointments (None: kept).
    appointment: UploadedCertificate | None = None
    new_files: tuple[UploadedCertificate, ...] = ()
    remove_file_ids: tuple[int, ...] = ()
    ruc_warnings: tuple[str, ...] = ()
    # A new signed challenge (needed when the certificate changes).
    possession_challenge: str = ""
    possession_signature: bytes = b""
    source_ip: str | None = None


# The request's own fields an applicant of some kind can be asked to correct
# (approvals.forms builds its OBSERVABLE_FIELDS from these; each kind's declaration
# says which are its own).
CORRECTABLE_FIELDS = tuple(
    dict.fromkeys(name for d in KINDS.values() for name in d.correctable_fields)
)
# The other items a reviewer can observe: the OCE table, and the certificate files
# (each observed as "archivo:<name>"; "certificados" stands for all of them).
OCES_ITEM = "oces"
CERTIFICATES_ITEM = "certificados"
APPOINTMENT_ITEM = "nombramiento"  # a public entity's appointment PDF
FILE_ITEM_PREFIX = "archivo:"


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
    declaration = declaration_for(request.kind)
    fields = declaration.correctable_fields
    tables = kind_items(request.kind)
    if request.status == RequestStatus.VERIFICATION_FAILED:
        return frozenset({CERTIFICATES_ITEM, *declaration.identity_fields})
    if request.status != RequestStatus.OBSERVED:
        return frozenset()
    observed = [str(item) for item in request.observed_items or []]
    if not observed:
        return frozenset({*fields, *tables, CERTIFICATES_ITEM})
    items = {item for item in observed if item in (*fields, *tables)}
    if any(item == CERTIFICATES_ITEM or item.startswith(FILE_ITEM_PREFIX) for item in observed):
        items.add(CERTIFICATES_ITEM)
    return frozenset(items)


def kind_items(kind: str) -> tuple[str, ...]:
    """The items besides its fields and certificates a kind's request can be observed on."""
    declaration = declaration_for(kind)
    return (
        *((OCES_ITEM,) if declaration.oces else ()),
        *((APPOINTMENT_ITEM,) if declaration.appointment else ()),
    )


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


def correction_item_label(item: str, kind: str = "") -> str:
    """An observed item as the applicant and the reviewer read it (in ``kind``'s words)."""
    if item.startswith(FILE_ITEM_PREFIX):
        return f"Archivo {item.removeprefix(FILE_ITEM_PREFIX)}"
    if item == OCES_ITEM:
        return "Tipo de OCEs"
    if item == CERTIFICATES_ITEM:
        return "Certificado digital"
    if item == APPOINTMENT_ITEM:
        return "Nombramiento o delegación"
    if kind in KINDS:
        return KINDS[kind].label(item)
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
    declaration = declaration_for(request.kind)
    for name in declaration.correctable_fields:
        new = _sent(data, name)
        if name not in allowed and new is not None and new != declaration.value(request, name):
            errors[name] = (
                f"«{declaration.label(name)}» no está abierto a corrección: no se puede cambiar."
            )
    for name in set(CORRECTABLE_FIELDS) - set(declaration.correctable_fields):
        if getattr(data, name) is not None:
            errors[name] = f"«{FIELD_LABELS[name]}» no es parte de esta solicitud."
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
    if data.appointment is not None and APPOINTMENT_ITEM not in allowed:
        errors[APPOINTMENT_ITEM] = (
            "El nombramiento o la delegación no está abierto a corrección: no se puede cambiar."
        )
    if data.procedures is not None and "procedures" in allowed:
        problem = procedures_problem(data.procedures)
        if problem:
            errors["procedures"] = problem
    removable = removable_certificate_ids(request=request)
    if removable is not None and set(data.remove_file_ids) - removable:
        errors[CERTIFICATES_ITEM] = "Solo puede eliminar los archivos que el revisor observó."
    if errors:
        raise SubmissionConflict(errors)


def _sent(data: CorrectionData, name: str) -> Any:
    """A field as sent, as its holder keeps it (a JSON list, not a tuple); None if not sent."""
    value = getattr(data, name)
    return list(value) if isinstance(value, tuple) else value


def procedures_problem(codes: tuple[str, ...]) -> str:
    """Why a list of VUE procedures can't be an entity's (empty, or not in the catalogue)."""
    if not codes:
        return "Elija al menos un trámite de la VUE que maneje la entidad."
    known = set(VueProcedure.objects.filter(active=True).values_list("code", flat=True))
    unknown = sorted(set(codes) - known)
    if unknown:
        return f"Trámite de la VUE desconocido: {', '.join(unknown)}."
    return ""


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


def correction_code_send(*, request: RegistrationRequest) -> None:
    """Email a code to the request's current address: whoever opens the correction must hold it."""
    if not request.is_correctable:
        raise TransitionNotAllowed("Esta solicitud no está abierta a correcciones.")
    request_code_send(purpose=CodePurpose.CORRECTION, request=request)


def correction_code_check(*, request: RegistrationRequest, code: str) -> CodeCheck:
    """The code that opens the correction page; only one sent to the current address counts."""
    if not request.is_correctable:
        return CodeCheck.MISSING
    outcome, live = code_check(purpose=CodePurpose.CORRECTION, code=code, request=request)
    if outcome is CodeCheck.OK and live is not None and live.email != request.email:
        return CodeCheck.MISSING
    return outcome


EMAIL_CHANGED_SUBJECT = "ECUAPASS: cambió el correo de su solicitud {n}"
EMAIL_CHANGED_BODY = (
    "El correo electrónico de la solicitud {n} se cambió de esta dirección a {new} "
    "en una corrección enviada el {at}.\n\n"
    "Si usted no hizo este cambio, llame a Soporte al Cliente: 1800-223223."
)


@transaction.atomic
def request_resubmit(*, request_id: int, data: CorrectionData) -> RegistrationRequest:
    """The applicant's corrections; the request goes back to certificate verification.

    Only the items `correctable_items` allows may change (anything else is a
    SubmissionConflict, even if the form was bypassed). Each resubmission is
    kept as a new RequestVersion; a request sent before versions existed first
    gets its state before the correction recorded as version 1. A new email
    must be confirmed again (the step records it for the flow: workflow.jobs.outcome_record).

    Runs inside the flow lock (approvals.services.correction_submit).
    """
    request = locked_request(request_id)
    if not request.is_correctable:
        raise TransitionNotAllowed("Esta solicitud no está abierta a correcciones.")
    _refuse_outside(request, data, correctable_items(request=request))
    if not request.versions.exists():
        request_version_record(request=request)
    answering = _answering(request)
    old_email = request.email
    declaration = declaration_for(request.kind)
    changed_fields: list[str] = []
    changed_details: list[str] = []
    for name in declaration.correctable_fields:
        new = _sent(data, name)
        holder = declaration.holder(request, name)
        if new is not None and getattr(holder, name) != new:
            changed_fields.append(name)
            if holder is not request:
                changed_details.append(name)
            setattr(holder, name, new)
    taken = availability_errors(
        cedula=request.cedula if "cedula" in changed_fields else "",
        email=request.email if "email" in changed_fields else "",
    )
    if taken:
        raise SubmissionConflict(taken)
    described = [declaration.label(name) for name in changed_fields]
    update_fields = [name for name in changed_fields if name not in changed_details]
    if changed_details:
        details = declaration.details(request)
        assert details is not None
        details.save(update_fields=changed_details)
    if data.ruc is not None:
        request.ruc_warnings = list(data.ruc_warnings)
        update_fields.append("ruc_warnings")
    if "email" in changed_fields:
        request.email_confirmed_at = None
        update_fields.append("email_confirmed_at")
    if data.oces is not None and _oces_replace(request, data.oces):
        described.append("Tipo de OCEs")
    if data.appointment is not None:
        store_appointment(request, data.appointment)
        described.append("nombramiento o delegación")
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
                allowed_from=CORRECTABLE_STATUSES,
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
        # The old address always hears of it, so a borrowed link can't move the request quietly.
        account_notice_queue(
            to=old_email,
            user=request.user,
            subject=EMAIL_CHANGED_SUBJECT.format(n=request.tracking_number),
            body=EMAIL_CHANGED_BODY.format(
                n=request.tracking_number,
                new=mask_email(request.email),
                at=local_time_text(),
            ),
        )
    request_version_record(request=request, answering=answering)
    return request
