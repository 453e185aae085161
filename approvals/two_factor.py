"""Second factor (TOTP) for SENAE staff: enrolment on first login, a code after every login.

Enrolment needs more than the password: first a code emailed to the staff
member's own address (`approvals.two_factor_codes`), then the authenticator's
QR code, then ten recovery codes shown once. The secret is stored encrypted
(`approvals.models.StaffTOTPDevice`). At verification a recovery code can
replace the TOTP code, each one once.

Reviewers and supervisors (whoever holds `workflow.review_registration` or
`workflow.manage_registrationprocess`) reach the reviewer pages only with an
OTP-verified session: django-otp's `OTPMiddleware` puts `user.is_verified()`
on the request and `django_otp.login` marks the session. Applicants are not
affected. Wrong codes are throttled by the device itself (django-otp's
exponential back-off: 1, 2, 4, … seconds after each consecutive failure).

Sections: the token form, services (every write), the access decorator, views.
The admin site behind this factor and its reset live in `approvals.staff_access`.
"""

from __future__ import annotations

import math
from base64 import b32encode
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any
from urllib.parse import urlencode

import segno
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.timesince import timeuntil
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice

from approvals import two_factor_codes
from approvals.forms import EnrollmentCodeForm, RecoveryCodeForm, TokenForm
from approvals.models import StaffTOTPDevice
from approvals.otp_secrets import secret_rotate
from registration import services as registration_services
from workflow.selectors import STAFF_PERMISSIONS

DEVICE_NAME = "Aplicación de autenticación"
# The unconfirmed device whose secret this session was shown (enrolment only).
ENROLL_SESSION_KEY = "approvals_2fa_enroll_device"
# The user whose emailed enrolment code this session typed in: enrolment is open to it.
ENROLL_PROOF_SESSION_KEY = "approvals_2fa_enroll_proof"

WRONG_CODE = (
    "El código no es correcto. Escriba el código que muestra ahora la aplicación "
    "(cambia cada 30 segundos) y revise que la hora del teléfono sea la correcta."
)
ENROLLMENT_EXPIRED = (
    "La activación se reinició en otra ventana o sesión. Escanee el nuevo código QR "
    "que se muestra abajo y escriba el código que genere."
)
ALREADY_ENROLLED = "Su cuenta ya tiene una aplicación de autenticación activada."
NO_DEVICE = "Su cuenta no tiene una aplicación de autenticación activada."
WRONG_RECOVERY_CODE = (
    "El código de recuperación no es correcto o ya fue usado. Cada código sirve una sola vez."
)


# --- Services ---------------------------------------------------------------------


class TwoFactorError(Exception):
    """A code or an enrolment that can't be accepted; the message is for the user."""


def needs_second_factor(user: Any) -> bool:
    """Reviewers, supervisors and administrators (the Django admin's `is_staff`)."""
    if not user.is_authenticated:
        return False
    return bool(user.is_staff) or any(user.has_perm(p) for p in STAFF_PERMISSIONS)


def has_confirmed_device(user: Any) -> bool:
    return bool(StaffTOTPDevice.objects.filter(user=user, confirmed=True).exists())


def _lock_user(user: Any) -> None:
    """Serialise enrolment steps of one user (two tabs, two sessions)."""
    get_user_model()._default_manager.select_for_update().filter(pk=user.pk).first()


def _wait_text(locked_until: datetime) -> str:
    seconds = max(1, math.ceil((locked_until - timezone.now()).total_seconds()))
    if seconds < 60:
        return "1 segundo" if seconds == 1 else f"{seconds} segundos"
    return timeuntil(locked_until)


def _check_token(device: Any, token: str, wrong: str = WRONG_CODE) -> str | None:
    """With the device row locked: None when `token` is accepted, else the message."""
    allowed, details = device.verify_is_allowed()
    if not allowed:
        locked_until = (details or {}).get("locked_until")
        wait = f"Espere {_wait_text(locked_until)} " if locked_until else "Espere "
        return f"Demasiados intentos fallidos. {wait}y vuelva a intentarlo."
    if device.verify_token(token):  # counts a failure on the device (throttling)
        return None
    return wrong


def totp_enrollment_start(*, user: Any) -> Any:
    """A fresh unconfirmed device; earlier unconfirmed ones go, so a secret lives in one session."""
    with transaction.atomic():
        _lock_user(user)
        if has_confirmed_device(user):
            raise TwoFactorError(ALREADY_ENROLLED)
        StaffTOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return StaffTOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def totp_enrollment_confirm(
    *, user: Any, device_id: int | None, token: str
) -> tuple[StaffTOTPDevice, list[str]]:
    """Confirm the device this session enrolled with a current code from it.

    Returns the device and its new recovery codes (to be shown once, now).
    """
    recovery_codes: list[str] = []
    with transaction.atomic():
        _lock_user(user)
        device = (
            StaffTOTPDevice.objects.select_for_update()
            .filter(pk=device_id or 0, user=user, confirmed=False)
            .first()
        )
        if device is None:
            error: str | None = ENROLLMENT_EXPIRED
        else:
            error = _check_token(device, token)
            if error is None:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                recovery_codes = two_factor_codes.recovery_codes_issue(user=user)
    # Outside the transaction: a refused code's throttling count must stay written.
    if error is not None or device is None:
        raise TwoFactorError(error or ENROLLMENT_EXPIRED)
    return device, recovery_codes


def totp_token_verify(*, user: Any, token: str) -> Any:
    """Check a code against the user's confirmed device (one per user: enrolment ensures it)."""
    with transaction.atomic():
        device = (
            StaffTOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=True)
            .order_by("pk")
            .first()
        )
        error = NO_DEVICE if device is None else _check_token(device, token)
    if error is not None:
        raise TwoFactorError(error)
    return device


def recovery_code_verify(*, user: Any, code: str) -> StaticDevice:
    """Accept one of the user's recovery codes in place of a TOTP code; it works once."""
    with transaction.atomic():
        device = (
            StaticDevice.objects.select_for_update()
            .filter(user=user, confirmed=True)
            .order_by("pk")
            .first()
        )
        error = (
            WRONG_RECOVERY_CODE
            if device is None
            else _check_token(device, code, wrong=WRONG_RECOVERY_CODE)
        )
    if error is not None or device is None:
        raise TwoFactorError(error or WRONG_RECOVERY_CODE)
    return device


def totp_secrets_rotate() -> int:
    """Re-encrypt every secret under the first ECUAPASS_OTP_KEYS key, so older keys can go."""
    rotated = 0
    with transaction.atomic():
        for device in StaffTOTPDevice.objects.select_for_update().order_by("pk"):
            device.encrypted_key = secret_rotate(device.encrypted_key)
            device.save(update_fields=["encrypted_key"])
            rotated += 1
    return rotated


# --- Access -------------------------------------------------------------------------


def _is_verified(user: Any) -> bool:
    is_verified = getattr(user, "is_verified", None)
    if is_verified is None:
        raise ImproperlyConfigured(
            "django_otp.middleware.OTPMiddleware must follow AuthenticationMiddleware."
        )
    return bool(is_verified())


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


def second_factor_redirect(user: Any, next_url: str) -> HttpResponseRedirect:
    """To verification (a confirmed device) or enrolment (none yet), then back to `next_url`."""
    step = (
        "approvals:two_factor_verify"
        if has_confirmed_device(user)
        else "approvals:two_factor_enroll"
    )
    return redirect(_with_next(step, next_url))


def staff_verified_required(
    view: Callable[..., HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    """Login required; reviewers and supervisors also need an OTP-verified session.

    Anonymous users go to the login page; staff without a verified session go
    to enrolment (no confirmed device yet) or to verification, with `?next=`.
    Everyone else passes through unchanged (permission checks come after).
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if needs_second_factor(user) and not _is_verified(user):
            return second_factor_redirect(user, request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapped


# --- Views ------------------------------------------------------------------------


def _next_url(request: HttpRequest) -> str:
    candidate = request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("approvals:queue")


def _mark_verified(request: HttpRequest, device: Any) -> None:
    request.session.cycle_key()  # more privilege, new session id
    otp_login(request, device)


def _enrollment_device(request: HttpRequest) -> Any:
    """The unconfirmed device this session was shown, or a new one."""
    device = StaffTOTPDevice.objects.filter(
        pk=request.session.get(ENROLL_SESSION_KEY) or 0, user=request.user.pk, confirmed=False
    ).first()
    if device is None:
        device = totp_enrollment_start(user=request.user)
        request.session[ENROLL_SESSION_KEY] = device.pk
    return device


def _enrollment_context(device: Any) -> dict[str, Any]:
    uri = device.config_url
    secret = b32encode(device.bin_key).decode()
    qr_svg = segno.make(uri, error="m").svg_inline(
        scale=5, title="Código QR para la aplicación de autenticación"
    )
    return {
        "qr_svg": mark_safe(qr_svg),  # noqa: S308 - segno's own markup, no user text in it
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "account": device.user.get_username(),
    }


def _staff_only(request: HttpRequest) -> None:
    if not needs_second_factor(request.user):
        raise PermissionDenied("Solo el personal del SENAE usa la verificación en dos pasos.")


def _enrollment_proven(request: HttpRequest) -> bool:
    return bool(request.session.get(ENROLL_PROOF_SESSION_KEY) == request.user.pk)


def _enrollment_code_step(request: HttpRequest) -> HttpResponse:
    """Step 1 of enrolment: the code emailed to the staff member's own address."""
    user = request.user
    sending = request.method == "POST" and "enviar" in request.POST
    form = EnrollmentCodeForm(request.POST if request.method == "POST" and not sending else None)
    send_error = ""
    if sending:
        try:
            masked = two_factor_codes.enrollment_code_send(user=user)
        except two_factor_codes.EnrollmentCodeError as exc:
            send_error = str(exc)
        else:
            messages.success(request, f"Le enviamos un código de activación a {masked}.")
            return redirect(request.get_full_path())
    elif form.is_valid():
        try:
            two_factor_codes.enrollment_code_check(
                user=user, code=form.cleaned_data["enrollment_code"]
            )
        except two_factor_codes.EnrollmentCodeError as exc:
            form.add_error("enrollment_code", str(exc))
        else:
            request.session[ENROLL_PROOF_SESSION_KEY] = user.pk
            return redirect(request.get_full_path())
    email = getattr(user, "email", "")
    return render(
        request,
        "approvals/two_factor_enroll_code.html",
        {
            "form": form,
            "send_error": send_error,
            "masked_email": registration_services.mask_email(email) if email else "",
        },
        status=400 if (form.errors or send_error) else 200,
    )


@login_required
@never_cache
@sensitive_post_parameters("otp_token", "enrollment_code")
@require_http_methods(["GET", "POST"])
def enroll(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    next_url = _next_url(request)
    if _is_verified(request.user):
        return redirect(next_url)
    if has_confirmed_device(request.user):
        return redirect(_with_next("approvals:two_factor_verify", next_url))
    if not _enrollment_proven(request):
        return _enrollment_code_step(request)
    form = TokenForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            device, recovery_codes = totp_enrollment_confirm(
                user=request.user,
                device_id=request.session.get(ENROLL_SESSION_KEY),
                token=form.cleaned_data["otp_token"],
            )
        except TwoFactorError as exc:
            form.add_error("otp_token", str(exc))
        else:
            request.session.pop(ENROLL_SESSION_KEY, None)
            request.session.pop(ENROLL_PROOF_SESSION_KEY, None)
            _mark_verified(request, device)
            messages.success(request, "Verificación en dos pasos activada.")
            # Shown in this response only: the codes are not kept anywhere readable.
            return render(
                request,
                "approvals/two_factor_recovery_codes.html",
                {"codes": recovery_codes, "next_url": next_url},
            )
    try:
        device = _enrollment_device(request)
    except TwoFactorError:  # confirmed meanwhile in another session
        return redirect(_with_next("approvals:two_factor_verify", next_url))
    return render(
        request,
        "approvals/two_factor_enroll.html",
        {"form": form, **_enrollment_context(device)},
        status=400 if form.errors else 200,
    )


@login_required
@never_cache
@sensitive_post_parameters("otp_token", "recovery_code")
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    next_url = _next_url(request)
    if _is_verified(request.user):
        return redirect(next_url)
    if not has_confirmed_device(request.user):
        return redirect(_with_next("approvals:two_factor_enroll", next_url))
    posted = request.POST if request.method == "POST" else None
    with_recovery = posted is not None and "recovery_code" in posted
    form = TokenForm(None if with_recovery else posted)
    recovery_form = RecoveryCodeForm(posted if with_recovery else None)
    device: Any = None
    if form.is_valid():
        try:
            device = totp_token_verify(user=request.user, token=form.cleaned_data["otp_token"])
        except TwoFactorError as exc:
            form.add_error("otp_token", str(exc))
    elif recovery_form.is_valid():
        try:
            device = recovery_code_verify(
                user=request.user, code=recovery_form.cleaned_data["recovery_code"]
            )
        except TwoFactorError as exc:
            recovery_form.add_error("recovery_code", str(exc))
        else:
            left = two_factor_codes.recovery_codes_left(user=request.user)
            messages.warning(
                request,
                f"Usó un código de recuperación; le quedan {left}. Si perdió el teléfono, "
                "pida a su supervisor que restablezca su verificación en dos pasos.",
            )
    if device is not None:
        _mark_verified(request, device)
        return redirect(next_url)
    return render(
        request,
        "approvals/two_factor_verify.html",
        {"form": form, "recovery_form": recovery_form},
        status=400 if (form.errors or recovery_form.errors) else 200,
    )
