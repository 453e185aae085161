"""Mi página: the user changes their password, email (re-verified by code) and SMS preference.

Every change locks the user row, writes an `AccountEvent` and, when it matters,
an `AccountNotice` row (`account_notice_queue`): a Celery task emails it after commit,
claiming the row so it is sent once, and a beat job re-sends what never left.
A double submit finds the change already made and answers as the first one did.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from registration import selectors
from registration.models import (
    AccountAction,
    AccountEvent,
    CodePurpose,
    OneTimeCode,
    User,
)
from registration.services.codes import (
    CodeCheck,
    code_check,
    code_issue,
    code_value,
    codes_issued_last_hour,
    mask_email,
)
from registration.services.common import local_time_text
from registration.services.notices import account_event_record, account_notice_queue

logger = logging.getLogger(__name__)

SUPPORT_PHONE = "1800-223223"

# Wrong current passwords (password or email change) before the user must wait.
PASSWORD_FAILURE_LIMIT = 5
PASSWORD_FAILURE_WINDOW = timedelta(minutes=15)
# Email change codes: one per minute, and ECUAPASS_CODES_PER_HOUR an hour
# (each one is an email to any address).
CODE_RESEND_AFTER = timedelta(minutes=1)
# A submission repeated within this time finds its change made and is not an error.
REPEAT_WINDOW = timedelta(minutes=10)

OUTCOME_BAD_CURRENT = "contraseña actual incorrecta"
OUTCOME_LOCKED = "bloqueado por intentos fallidos"
OUTCOME_CHANGED = "contraseña cambiada"
OUTCOME_CODE_SENT = "código enviado"
OUTCOME_CODE_RESENT = "código reenviado"
OUTCOME_EMAIL_CHANGED = "confirmado con código"


class AccountResult(StrEnum):
    OK = "ok"
    WRONG_CURRENT = "wrong_current"  # the current password is not right
    LOCKED = "locked"
    TOO_SOON = "too_soon"
    TOO_MANY_CODES = "too_many_codes"
    NO_PENDING = "no_pending"


ACCOUNT_MESSAGES = {
    AccountResult.WRONG_CURRENT: "La contraseña actual no es correcta.",
    AccountResult.LOCKED: (
        "Demasiados intentos con una contraseña actual incorrecta. "
        f"Espere {PASSWORD_FAILURE_WINDOW.seconds // 60} minutos e intente de nuevo."
    ),
    AccountResult.TOO_SOON: "Ya le enviamos un código hace menos de un minuto. Espere un momento.",
    AccountResult.TOO_MANY_CODES: (
        "Ya le enviamos varios códigos en la última hora. Intente de nuevo más tarde."
    ),
    AccountResult.NO_PENDING: (
        "No hay un cambio de correo pendiente o su código venció. "
        "Pida el cambio de correo de nuevo."
    ),
}


def phone_mask(phone: str) -> str:
    """+59399*****67: the operator prefix and the last digits."""
    return f"{phone[:6]}{'*' * max(len(phone) - 8, 0)}{phone[-2:]}" if len(phone) > 8 else "***"


# --- Shared steps ------------------------------------------------------------------


def _lock(user: User) -> None:
    """Lock the user's row and bring `user` up to date with it (the caller keeps the object)."""
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).get()
    user.refresh_from_db()


def _password_locked_out(user: User) -> bool:
    since = timezone.now() - PASSWORD_FAILURE_WINDOW
    failures = AccountEvent.objects.filter(
        user=user, outcome=OUTCOME_BAD_CURRENT, created__gte=since
    ).count()
    return failures >= PASSWORD_FAILURE_LIMIT


def _check_current_password(
    user: User, password: str, *, action: AccountAction, subject: str, source_ip: str | None
) -> AccountResult:
    """The current password guards every change; wrong ones are counted and audited."""
    if _password_locked_out(user):
        account_event_record(
            action=action, user=user, subject=subject, outcome=OUTCOME_LOCKED, source_ip=source_ip
        )
        return AccountResult.LOCKED
    if not user.check_password(password):
        account_event_record(
            action=action,
            user=user,
            subject=subject,
            outcome=OUTCOME_BAD_CURRENT,
            source_ip=source_ip,
        )
        return AccountResult.WRONG_CURRENT
    return AccountResult.OK


def _too_many_codes(user: User) -> bool:
    sent = codes_issued_last_hour(purpose=CodePurpose.EMAIL_CHANGE, user=user)
    return sent >= settings.ECUAPASS_CODES_PER_HOUR


def _done_recently(user: User, action: AccountAction, outcome: str) -> bool:
    return AccountEvent.objects.filter(
        user=user, action=action, outcome=outcome, created__gte=timezone.now() - REPEAT_WINDOW
    ).exists()


# --- Password ----------------------------------------------------------------------


@transaction.atomic
def password_change(
    *, user: User, current_password: str, new_password: str, source_ip: str | None
) -> AccountResult:
    """Set a new password if the current one is right; the account email is told.

    `user` is updated in place, so the view can keep the session with the new hash.
    """
    _lock(user)
    if _password_locked_out(user):
        account_event_record(
            action=AccountAction.PASSWORD_CHANGED,
            user=user,
            subject=user.username,
            outcome=OUTCOME_LOCKED,
            source_ip=source_ip,
        )
        return AccountResult.LOCKED
    if not user.check_password(current_password):
        if _done_recently(
            user, AccountAction.PASSWORD_CHANGED, OUTCOME_CHANGED
        ) and user.check_password(new_password):
            return AccountResult.OK  # the same change, submitted twice
        account_event_record(
            action=AccountAction.PASSWORD_CHANGED,
            user=user,
            subject=user.username,
            outcome=OUTCOME_BAD_CURRENT,
            source_ip=source_ip,
        )
        return AccountResult.WRONG_CURRENT
    user.set_password(new_password)
    user.save(update_fields=["password"])
    account_event_record(
        action=AccountAction.PASSWORD_CHANGED,
        user=user,
        subject=user.username,
        outcome=OUTCOME_CHANGED,
        source_ip=source_ip,
    )
    if user.email:
        account_notice_queue(
            user=user,
            to=user.email,
            subject="ECUAPASS: su contraseña cambió",
            body=(
                f"La contraseña del usuario {user.username} cambió el {local_time_text()}.\n\n"
                "Si no fue usted, llame de inmediato a Soporte al Cliente al "
                f"{SUPPORT_PHONE}."
            ),
        )
    return AccountResult.OK


# --- Email -------------------------------------------------------------------------


@transaction.atomic
def email_change_request(
    *, user: User, new_email: str, current_password: str, source_ip: str | None
) -> AccountResult:
    """Send a code to the new address; the email changes only when the code comes back.

    Whether another account uses the address is not checked: the answer would tell
    who is registered, and the code already proves the user reads that mailbox.
    """
    _lock(user)
    subject = mask_email(new_email)
    result = _check_current_password(
        user,
        current_password,
        action=AccountAction.EMAIL_CHANGE_REQUESTED,
        subject=subject,
        source_ip=source_ip,
    )
    if result is not AccountResult.OK:
        return result
    pending = selectors.email_change_pending(user=user)
    if (
        pending is not None
        and pending.email.lower() == new_email.lower()
        and pending.created > timezone.now() - CODE_RESEND_AFTER
    ):
        return AccountResult.OK  # the same request, submitted twice: its code stands
    if _too_many_codes(user):
        return AccountResult.TOO_MANY_CODES
    code_issue(purpose=CodePurpose.EMAIL_CHANGE, email=new_email, user=user)
    account_event_record(
        action=AccountAction.EMAIL_CHANGE_REQUESTED,
        user=user,
        subject=subject,
        outcome=OUTCOME_CODE_SENT,
        source_ip=source_ip,
    )
    return AccountResult.OK


@transaction.atomic
def email_change_resend(*, user: User, source_ip: str | None) -> AccountResult:
    """«Reenviar código»: a new code to the pending address (the old code stops working)."""
    _lock(user)
    pending = selectors.email_change_pending(user=user)
    if pending is None:
        return AccountResult.NO_PENDING
    if pending.created > timezone.now() - CODE_RESEND_AFTER:
        return AccountResult.TOO_SOON
    if _too_many_codes(user):
        return AccountResult.TOO_MANY_CODES
    code_issue(purpose=CodePurpose.EMAIL_CHANGE, email=pending.email, user=user)
    account_event_record(
        action=AccountAction.EMAIL_CHANGE_REQUESTED,
        user=user,
        subject=mask_email(pending.email),
        outcome=OUTCOME_CODE_RESENT,
        source_ip=source_ip,
    )
    return AccountResult.OK


def _confirmed_recently_with(user: User, code: str) -> bool:
    """The code was right and already used for the address the user now has."""
    last = (
        OneTimeCode.objects.filter(
            purpose=CodePurpose.EMAIL_CHANGE,
            user=user,
            used__gte=timezone.now() - REPEAT_WINDOW,
        )
        .order_by("-used", "-id")
        .first()
    )
    return (
        last is not None
        and last.email == user.email
        and constant_time_compare(code_value(last), "".join(code.split()))
    )


@transaction.atomic
def email_change_confirm(*, user: User, code: str, source_ip: str | None) -> CodeCheck:
    """With the right code, the address the code was sent to becomes the user's email.

    The old address is told, in case someone else made the change. `user` is updated in place.
    """
    _lock(user)
    check, row = code_check(purpose=CodePurpose.EMAIL_CHANGE, code=code, user=user)
    if check is CodeCheck.MISSING and _confirmed_recently_with(user, code):
        return CodeCheck.OK  # the same confirmation, submitted twice
    if check is not CodeCheck.OK or row is None:
        return check
    old_email, new_email = user.email, row.email
    user.email = new_email
    user.save(update_fields=["email"])
    account_event_record(
        action=AccountAction.EMAIL_CHANGED,
        user=user,
        subject=f"{mask_email(old_email) if old_email else '(sin correo)'} → {mask_email(new_email)}",
        outcome=OUTCOME_EMAIL_CHANGED,
        source_ip=source_ip,
    )
    if old_email and old_email.lower() != new_email.lower():
        account_notice_queue(
            user=user,
            to=old_email,
            subject="ECUAPASS: su correo electrónico cambió",
            body=(
                f"El correo electrónico del usuario {user.username} cambió a "
                f"{mask_email(new_email)} el {local_time_text()}. Desde ahora los avisos de ECUAPASS "
                "llegan a esa dirección.\n\n"
                "Si no fue usted, llame de inmediato a Soporte al Cliente al "
                f"{SUPPORT_PHONE}."
            ),
        )
    return CodeCheck.OK


# --- SMS ---------------------------------------------------------------------------


@transaction.atomic
def sms_preference_set(
    *, user: User, recibir_sms: bool, celular: str, source_ip: str | None
) -> bool:
    """Set "Recibir mensaje SMS" and the Celular (E.164); False when nothing changed.

    Notifications read these from the user, so the next message already follows them.
    """
    if recibir_sms and not celular:
        raise ValueError("Receiving SMS needs a mobile number.")
    _lock(user)
    if (user.recibir_sms, user.celular) == (recibir_sms, celular):
        return False
    user.recibir_sms, user.celular = recibir_sms, celular
    user.save(update_fields=["recibir_sms", "celular"])
    account_event_record(
        action=AccountAction.SMS_PREFERENCE,
        user=user,
        subject=phone_mask(celular) if celular else "(sin celular)",
        outcome="recibir SMS: sí" if recibir_sms else "recibir SMS: no",
        source_ip=source_ip,
    )
    return True
