"""One-time codes sent by email: issue, send (once), check (once, bounded attempts)."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from registration import selectors
from registration.models import CodePurpose, OneTimeCode, RegistrationRequest, User
from registration.services.common import TransitionNotAllowed
from registration.services.delivery import deliver_once, undelivered
from registration.services.secrets import request_status_link

logger = logging.getLogger(__name__)

CODE_DIGITS = 6
_KEY_SALT = "registration.one-time-code"

SUBJECTS = {
    CodePurpose.EMAIL_CONFIRM: "ECUAPASS: confirme su correo electrónico",
    CodePurpose.EMAIL_CHANGE: "ECUAPASS: confirme su nuevo correo electrónico",
    CodePurpose.PASSWORD_RESET: "ECUAPASS: código para reiniciar su clave",
    CodePurpose.STAFF_ENROLL: "ECUAPASS: código para activar la verificación en dos pasos",
    CodePurpose.CORRECTION: "ECUAPASS: código para corregir su solicitud",
}
BODIES = {
    CodePurpose.EMAIL_CONFIRM: (
        "Su código para confirmar el correo de la solicitud {tracking} es: {code}\n\n"
        "Ingréselo en la página de seguimiento de su solicitud:\n{link}\n\n"
        "Vence en {minutes} minutos."
    ),
    CodePurpose.EMAIL_CHANGE: (
        "Su código para confirmar este correo en ECUAPASS es: {code}\n\n"
        "Ingréselo en Mi página. Vence en {minutes} minutos. "
        "Si usted no pidió este cambio, ignore este mensaje."
    ),
    CodePurpose.PASSWORD_RESET: (
        "Su código para reiniciar la clave de ECUAPASS es: {code}\n\n"
        "Vence en {minutes} minutos. Si usted no lo pidió, ignore este mensaje: "
        "su clave no cambia."
    ),
    CodePurpose.STAFF_ENROLL: (
        "Su código para activar la verificación en dos pasos de ECUAPASS es: {code}\n\n"
        "Escríbalo en la página «Activar la verificación en dos pasos». Vence en {minutes} "
        "minutos.\n\nSi usted no está activando su aplicación de autenticación, alguien "
        "conoce su contraseña: cámbiela y avise de inmediato a su supervisor."
    ),
    CodePurpose.CORRECTION: (
        "Su código para corregir la solicitud {tracking} es: {code}\n\n"
        "Ingréselo en la página de corrección. Vence en {minutes} minutos. "
        "Si usted no pidió corregir la solicitud, ignore este mensaje: "
        "sin este código nadie puede cambiarla."
    ),
}


class CodeCheck(StrEnum):
    OK = "ok"
    WRONG = "wrong"  # a live code exists and this is not it
    MISSING = "missing"  # no live code: never issued, used, retired or expired
    EXHAUSTED = "exhausted"  # too many wrong attempts; a new code is needed


CHECK_MESSAGES = {
    CodeCheck.WRONG: "El código no es correcto. Revise el último correo que le enviamos.",
    CodeCheck.MISSING: "El código venció o ya fue usado. Pida un código nuevo.",
    CodeCheck.EXHAUSTED: "Demasiados intentos con este código. Pida un código nuevo.",
}


def mask_email(email: str) -> str:
    """j***@example.com: enough for the owner to recognise, not enough to harvest."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def code_value(code: OneTimeCode) -> str:
    """The code itself, derived from SECRET_KEY and the row; it is never stored."""
    digest = salted_hmac(_KEY_SALT, f"{code.pk}:{code.purpose}:{code.nonce}").hexdigest()
    return f"{int(digest, 16) % 10**CODE_DIGITS:0{CODE_DIGITS}d}"


def _owner_filter(request: RegistrationRequest | None, user: User | None) -> dict[str, object]:
    if (request is None) == (user is None):
        raise ValueError("A code belongs to a request or to a user.")
    return {"request": request} if request is not None else {"user": user}


def _live(purpose: CodePurpose, owner: dict[str, object]) -> QuerySet[OneTimeCode]:
    return OneTimeCode.objects.filter(
        purpose=purpose, used__isnull=True, retired__isnull=True, **owner
    )


def codes_issued_last_hour(
    *, purpose: CodePurpose, request: RegistrationRequest | None = None, user: User | None = None
) -> int:
    """How many codes of this purpose the owner was sent in the last hour (live or not)."""
    return OneTimeCode.objects.filter(
        purpose=purpose,
        created__gte=timezone.now() - timedelta(hours=1),
        **_owner_filter(request, user),
    ).count()


@transaction.atomic
def request_code_send(*, purpose: CodePurpose, request: RegistrationRequest) -> None:
    """Email the request's current address a new code, within ECUAPASS_CODES_PER_HOUR."""
    if codes_issued_last_hour(purpose=purpose, request=request) >= settings.ECUAPASS_CODES_PER_HOUR:
        raise TransitionNotAllowed(
            "Ya enviamos varios códigos a este correo en la última hora. "
            "Revise su bandeja de entrada y la carpeta de correo no deseado, o intente más tarde."
        )
    code_issue(purpose=purpose, email=request.email, request=request)


def code_issue(
    *,
    purpose: CodePurpose,
    email: str,
    request: RegistrationRequest | None = None,
    user: User | None = None,
) -> OneTimeCode:
    """A new code for this owner and purpose (earlier ones stop working), emailed after commit."""
    owner = _owner_filter(request, user)
    now = timezone.now()
    _live(purpose, owner).update(retired=now)
    code = OneTimeCode.objects.create(
        purpose=purpose,
        email=email,
        nonce=secrets.token_hex(16),
        expires=now + timedelta(minutes=settings.ECUAPASS_CODE_TTL_MINUTES),
        **owner,
    )
    transaction.on_commit(lambda: code_enqueue(code_id=code.pk))
    return code


def code_enqueue(*, code_id: int) -> None:
    from registration.tasks import send_one_time_code

    try:
        send_one_time_code.apply_async(args=(code_id,))
    except Exception:  # broker down: codes_resend_unsent sends it once the broker is back
        logger.warning("Could not enqueue one-time code %s", code_id, exc_info=True)


def codes_resend_unsent(*, older_than: timedelta = timedelta(minutes=2)) -> int:
    """Send the live codes whose job never reached the broker (it was down at the time)."""
    now = timezone.now()
    unsent = undelivered(
        OneTimeCode.objects.filter(used__isnull=True, retired__isnull=True, expires__gt=now),
        claimed="claimed",
        done="sent",
        older_than=older_than,
    ).values_list("pk", flat=True)
    count = 0
    for pk in unsent:
        code_enqueue(code_id=pk)
        count += 1
    return count


def codes_purge(*, older_than: timedelta = timedelta(days=30)) -> int:
    """Forget codes that can no longer be used (expired, used or retired) after a while."""
    deleted, _ = OneTimeCode.objects.filter(expires__lt=timezone.now() - older_than).delete()
    return deleted


def code_send(*, code_id: int) -> bool:
    """Email the code once (claimed first, marked sent after; see services.delivery)."""
    code = (
        OneTimeCode.objects.select_related("request")
        .filter(pk=code_id, used__isnull=True, retired__isnull=True)
        .first()
    )
    if code is None or code.expires <= timezone.now():
        return False
    body = BODIES[CodePurpose(code.purpose)].format(
        code=code_value(code),
        tracking=code.request.tracking_number if code.request else "",
        link=request_status_link(code.request) if code.request else "",
        minutes=settings.ECUAPASS_CODE_TTL_MINUTES,
    )
    return deliver_once(
        OneTimeCode.objects.filter(pk=code.pk),
        claimed="claimed",
        done="sent",
        send=lambda: send_mail(SUBJECTS[CodePurpose(code.purpose)], body, None, [code.email]),
    )


# Compared against when there is no live code, so every check computes one code value.
_NO_CODE = OneTimeCode(pk=0, purpose=CodePurpose.PASSWORD_RESET, nonce="")


def _pad_write() -> None:
    """The UPDATE a check writes, on no row: every outcome costs the same statements."""
    OneTimeCode.objects.filter(pk=0).update(attempts=F("attempts"))


def _check_locked(live: OneTimeCode | None, code: str) -> CodeCheck:
    # Every write is one queryset UPDATE (the pad too), so no outcome pays for save().
    matches = constant_time_compare(code_value(live or _NO_CODE), "".join(code.split()))
    if live is None:
        _pad_write()
        return CodeCheck.MISSING
    if live.attempts >= settings.ECUAPASS_CODE_MAX_ATTEMPTS:
        _pad_write()
        return CodeCheck.EXHAUSTED
    if matches:
        live.used = timezone.now()
        OneTimeCode.objects.filter(pk=live.pk).update(used=live.used)
        return CodeCheck.OK
    live.attempts += 1
    OneTimeCode.objects.filter(pk=live.pk).update(attempts=live.attempts)
    if live.attempts >= settings.ECUAPASS_CODE_MAX_ATTEMPTS:
        return CodeCheck.EXHAUSTED
    return CodeCheck.WRONG


@transaction.atomic
def code_check(
    *,
    purpose: CodePurpose,
    code: str,
    request: RegistrationRequest | None = None,
    user: User | None = None,
) -> tuple[CodeCheck, OneTimeCode | None]:
    """Compare `code` with the owner's live code, under a lock; a match uses it up.

    Whatever the outcome (no live code, exhausted, wrong, right) it runs the
    same statements, so the time taken says nothing about the owner's codes.
    """
    _owner_filter(request, user)  # exactly one owner
    live = (
        selectors.live_codes(purpose=purpose, request=request, user=user)
        .select_for_update()
        .first()
    )
    return _check_locked(live, code), live


@transaction.atomic
def code_check_unowned(*, purpose: CodePurpose, code: str) -> CodeCheck:
    """A check for a subject with no account (an unknown ID. usuario): always MISSING.

    It runs what `code_check` runs (the locking read, one code value, one
    UPDATE), so an unknown subject answers as slowly as a registered one.
    """
    live = (
        OneTimeCode.objects.filter(
            purpose=purpose, used__isnull=True, retired__isnull=True, user__isnull=True
        )
        .filter(pk=0)
        .order_by("-created", "-id")
        .select_for_update()
        .first()
    )
    return _check_locked(live, code)
