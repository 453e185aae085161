"""Second factor (TOTP) for SENAE staff: enrolment on first login, a code after every login.

Reviewers and supervisors (whoever holds `approvals.review_registration` or
`approvals.manage_registrationprocess`) reach the reviewer pages only with an
OTP-verified session: django-otp's `OTPMiddleware` puts `user.is_verified()`
on the request and `django_otp.login` marks the session. Applicants are not
affected. Wrong codes are throttled by the device itself (django-otp's
exponential back-off: 1, 2, 4, … seconds after each consecutive failure).

Sections: the token form, services (every write), the access decorator, views.
The admin site behind this factor and its reset live in `approvals.staff_access`.
"""

from __future__ import annotations

import math
import re
from base64 import b32encode
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any
from urllib.parse import urlencode

import segno
from django import forms
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

from approvals.models import StaffTOTPDevice
from approvals.otp_secrets import secret_rotate

STAFF_PERMISSIONS = ("approvals.review_registration", "approvals.manage_registrationprocess")
DEVICE_NAME = "Aplicación de autenticación"
# The unconfirmed device whose secret this session was shown (enrolment only).
ENROLL_SESSION_KEY = "approvals_2fa_enroll_device"

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


# --- Form -------------------------------------------------------------------------


class TokenForm(forms.Form):
    otp_token = forms.CharField(
        label="Código de verificación",
        help_text="Los 6 dígitos que muestra su aplicación de autenticación.",
        max_length=12,
        error_messages={"required": "Escriba el código que muestra su aplicación."},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "size": 8,
            }
        ),
    )

    def clean_otp_token(self) -> str:
        token = re.sub(r"\s", "", self.cleaned_data["otp_token"])
        if not re.fullmatch(r"[0-9]{6}", token):
            raise forms.ValidationError("El código tiene 6 dígitos, sin letras.")
        return token


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


def _check_token(device: Any, token: str) -> str | None:
    """With the device row locked: None when `token` is accepted, else the message."""
    allowed, details = device.verify_is_allowed()
    if not allowed:
        locked_until = (details or {}).get("locked_until")
        wait = f"Espere {_wait_text(locked_until)} " if locked_until else "Espere "
        return f"Demasiados intentos fallidos. {wait}y vuelva a intentarlo."
    if device.verify_token(token):  # counts a failure on the device (throttling)
        return None
    return WRONG_CODE


def totp_enrollment_start(*, user: Any) -> Any:
    """A fresh unconfirmed device; earlier unconfirmed ones go, so a secret lives in one session."""
    with transaction.atomic():
        _lock_user(user)
        if has_confirmed_device(user):
            raise TwoFactorError(ALREADY_ENROLLED)
        StaffTOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return StaffTOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def totp_enrollment_confirm(*, user: Any, device_id: int | None, token: str) -> Any:
    """Confirm the device this session enrolled with a current code from it."""
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
    # Outside the transaction: a refused code's throttling count must stay written.
    if error is not None:
        raise TwoFactorError(error)
    return device


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


@login_required
@never_cache
@sensitive_post_parameters("otp_token")
@require_http_methods(["GET", "POST"])
def enroll(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    next_url = _next_url(request)
    if _is_verified(request.user):
        return redirect(next_url)
    if has_confirmed_device(request.user):
        return redirect(_with_next("approvals:two_factor_verify", next_url))
    form = TokenForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            device = totp_enrollment_confirm(
                user=request.user,
                device_id=request.session.get(ENROLL_SESSION_KEY),
                token=form.cleaned_data["otp_token"],
            )
        except TwoFactorError as exc:
            form.add_error("otp_token", str(exc))
        else:
            request.session.pop(ENROLL_SESSION_KEY, None)
            _mark_verified(request, device)
            messages.success(request, "Verificación en dos pasos activada.")
            return redirect(next_url)
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
@sensitive_post_parameters("otp_token")
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    next_url = _next_url(request)
    if _is_verified(request.user):
        return redirect(next_url)
    if not has_confirmed_device(request.user):
        return redirect(_with_next("approvals:two_factor_enroll", next_url))
    form = TokenForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            device = totp_token_verify(user=request.user, token=form.cleaned_data["otp_token"])
        except TwoFactorError as exc:
            form.add_error("otp_token", str(exc))
        else:
            _mark_verified(request, device)
            return redirect(next_url)
    return render(
        request,
        "approvals/two_factor_verify.html",
        {"form": form},
        status=400 if form.errors else 200,
    )
