"""What the applicant must do in time: confirm the email, correct an observed request.

Each wait earns one reminder (by the applicant's channels) and then expires.
Expiry itself goes through the process (approvals.services.waiting_sweep),
which completes the waiting task with `request_expire`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from registration.kinds import COMPANY_DECIDED_KINDS, declaration_for
from registration.models import (
    CORRECTABLE_STATUSES,
    CodePurpose,
    NotificationKind,
    RegistrationRequest,
    RequestKind,
    RequestStatus,
)
from registration.services.codes import CodeCheck, code_check, request_code_send
from registration.services.common import (
    APPLICANT_ACTOR,
    SYSTEM_ACTOR,
    TransitionNotAllowed,
    local_time_text,
    locked_request,
    record_event,
    transition,
)
from registration.services.employees import employee_request_announce
from registration.services.notifications import notification_write


def email_confirmation_pending(request: RegistrationRequest) -> bool:
    return request.status == RequestStatus.SUBMITTED and request.email_confirmed_at is None


def company_decision_pending(request: RegistrationRequest) -> bool:
    """An employee's request waiting for a representative of its company to decide it."""
    return (
        request.kind in COMPANY_DECIDED_KINDS
        and request.status == RequestStatus.CERTIFICATE_VERIFIED
    )


def email_not_pending_message(request: RegistrationRequest) -> str:
    """Why a code is no longer asked for: confirmed already, or the request moved on."""
    if request.email_confirmed_at is not None:
        return "El correo de esta solicitud ya está confirmado."
    return "Esta solicitud ya no espera la confirmación del correo."


def email_confirmation_send(*, request: RegistrationRequest) -> None:
    """Email a new confirmation code to the request's address (earlier codes stop working)."""
    if not email_confirmation_pending(request):
        raise TransitionNotAllowed(email_not_pending_message(request))
    request_code_send(purpose=CodePurpose.EMAIL_CONFIRM, request=request)


def email_code_check(*, request: RegistrationRequest, code: str) -> CodeCheck:
    """Check the applicant's code; the attempt counts even if confirming fails later."""
    if not email_confirmation_pending(request):
        return CodeCheck.MISSING
    outcome, _ = code_check(purpose=CodePurpose.EMAIL_CONFIRM, code=code, request=request)
    return outcome


def request_email_confirm(*, request_id: int, source_ip: str | None = None) -> RegistrationRequest:
    """Mark the email confirmed after a good code; runs inside the flow lock."""
    request = locked_request(request_id)
    if not email_confirmation_pending(request):
        raise TransitionNotAllowed(email_not_pending_message(request))
    request.email_confirmed_at = timezone.now()
    request.save(update_fields=["email_confirmed_at", "updated"])
    record_event(
        request,
        from_status=request.status,
        to_status=request.status,
        actor=None,
        actor_label=APPLICANT_ACTOR,
        comment="Correo electrónico confirmado.",
        source_ip=source_ip,
    )
    return request


def request_expire(*, request_id: int) -> RegistrationRequest:
    """An unconfirmed or uncorrected request ran out of time; runs inside the flow lock."""
    request = locked_request(request_id)
    if email_confirmation_pending(request):
        comment = "Caducada: el correo electrónico no fue confirmado a tiempo."
    elif request.status in CORRECTABLE_STATUSES:
        comment = "Caducada: la solicitud no fue corregida a tiempo."
    elif company_decision_pending(request):
        comment = "Caducada: ningún representante de la empresa la decidió a tiempo."
    else:
        raise TransitionNotAllowed(f"{request.tracking_number} no está esperando al solicitante.")
    transition(
        request,
        allowed_from=[
            RequestStatus.SUBMITTED,
            *CORRECTABLE_STATUSES,
            *([RequestStatus.CERTIFICATE_VERIFIED] if company_decision_pending(request) else []),
        ],
        to=RequestStatus.EXPIRED,
        comment=comment,
    )
    return request


def _wait(request: RegistrationRequest) -> tuple[datetime, timedelta, timedelta] | None:
    """(since, when the reminder is due, when it expires) of the applicant's current wait."""
    since = request.status_changed_at or request.updated
    if email_confirmation_pending(request):
        return (
            since,
            timedelta(hours=settings.ECUAPASS_EMAIL_CONFIRM_REMINDER_HOURS),
            timedelta(hours=settings.ECUAPASS_EMAIL_CONFIRM_EXPIRY_HOURS),
        )
    if request.status in CORRECTABLE_STATUSES:
        expiry = timedelta(days=settings.ECUAPASS_CORRECTION_EXPIRY_DAYS)
        before = timedelta(days=settings.ECUAPASS_CORRECTION_REMINDER_DAYS_BEFORE)
        return since, expiry - before, expiry
    if company_decision_pending(request):
        expiry = timedelta(days=settings.ECUAPASS_EMPLOYEE_DECISION_EXPIRY_DAYS)
        before = timedelta(days=settings.ECUAPASS_EMPLOYEE_DECISION_REMINDER_DAYS_BEFORE)
        return since, expiry - before, expiry
    return None


def expiry_deadline(request: RegistrationRequest) -> datetime | None:
    """When the current wait ends, or None if the request isn't waiting for the applicant."""
    wait = _wait(request)
    return wait[0] + wait[2] if wait else None


def reminder_due(request: RegistrationRequest, *, now: datetime) -> bool:
    wait = _wait(request)
    return wait is not None and request.reminder_sent_at is None and wait[0] + wait[1] <= now


@transaction.atomic
def request_remind(*, request_id: int) -> bool:
    """Send the wait's one reminder; False if it was sent already or isn't due."""
    request = locked_request(request_id)
    now = timezone.now()
    deadline = expiry_deadline(request)
    if deadline is None or not reminder_due(request, now=now):
        return False
    request.reminder_sent_at = now
    request.save(update_fields=["reminder_sent_at", "updated"])
    local_deadline = local_time_text(deadline)
    if email_confirmation_pending(request):
        text = (
            f"Su solicitud {request.tracking_number} espera que confirme su correo electrónico. "
            f"Si no lo confirma antes del {local_deadline}, caducará. "
            "Pida un código nuevo desde su enlace de seguimiento."
        )
    elif company_decision_pending(request):
        text = ""
    else:
        text = (
            f"Su solicitud {request.tracking_number} espera sus correcciones. "
            f"Si no la corrige antes del {local_deadline}, caducará."
        )
    event = record_event(
        request,
        from_status=request.status,
        to_status=request.status,
        actor=None,
        actor_label=SYSTEM_ACTOR,
        comment=f"Recordatorio enviado: caduca el {local_deadline}.",
    )
    if company_decision_pending(request):
        # The company decides: its representatives are the ones reminded.
        employee_request_announce(
            request_id=request.pk,
            link=settings.ECUAPASS_PUBLIC_URL.rstrip("/") + reverse("empleados:pending"),
            kind=NotificationKind.REMINDER,
            text=EMPLOYEE_REMINDER_TEXT.format(
                n=request.tracking_number,
                at=local_deadline,
                organisation=declaration_for(request.kind).organisation,
                workspace=(
                    "Administración de usuarios de la entidad"
                    if request.kind == RequestKind.ENTIDAD
                    else "Administración de empleado"
                ),
            ),
        )
        return True
    notification_write(request=request, event=event, kind=NotificationKind.REMINDER, text=text)
    return True


EMPLOYEE_REMINDER_TEXT = (
    "La solicitud {n} de un usuario de su {organisation} espera su decisión. Si nadie la "
    "decide antes del {at}, caducará. Revísela en Mi página > {workspace}."
)
