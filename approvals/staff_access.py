"""Staff access around the second factor: the Django admin behind it, and resetting it.

The admin edits the trust store, so it takes the same OTP-verified session as
the review pages (`approvals.two_factor`). A staff member who lost their
authenticator has it reset by a supervisor (from the portal) or by an
administrator (`manage.py reset_second_factor`), and enrols again at the next
login.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin import AdminSite
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from approvals import two_factor_codes
from approvals.two_factor import (
    TwoFactorError,
    _is_verified,
    _lock_user,
    needs_second_factor,
    second_factor_redirect,
)
from registration.models import AccountAction

# --- Second-factor reset ------------------------------------------------------------


def totp_devices_reset_by(*, actor: Any, user: Any, reason: str, source_ip: str | None) -> int:
    """A supervisor resets a colleague's second factor (lost phone); the person is told.

    Nobody resets their own from the portal, and a reason is required: the
    reset leaves the password as the only factor until the person enrols again.
    """
    from registration import services as registration_services

    reason = " ".join(reason.split())
    if not reason:
        raise TwoFactorError("Indique el motivo del restablecimiento.")
    if actor.pk == user.pk:
        raise TwoFactorError("No puede restablecer su propio segundo factor.")
    if not needs_second_factor(user):
        raise TwoFactorError(f"{user.username} no es personal del SENAE.")
    with transaction.atomic():
        deleted = totp_devices_reset(
            user=user, actor_label=actor.username, reason=reason, source_ip=source_ip
        )
        if user.email:
            registration_services.account_notice_queue(
                user=user,
                to=user.email,
                subject="ECUAPASS: su segundo factor fue restablecido",
                body=(
                    f"{actor.username} restableció el segundo factor (TOTP) de su usuario "
                    f"{user.username}. En su próximo inicio de sesión registrará un "
                    "autenticador nuevo: pedirá un código de activación, que llegará a este "
                    "correo, y recibirá códigos de recuperación nuevos (los anteriores ya no "
                    "sirven).\n\nSi usted no lo pidió, avise de inmediato a su "
                    "supervisor o a Soporte al Cliente: 1800-223223."
                ),
            )
    return deleted


def totp_devices_reset(
    *, user: Any, actor_label: str, reason: str, source_ip: str | None = None
) -> int:
    """Forget a staff member's authenticator (lost or replaced phone); audited.

    Their recovery codes go too. They enrol a new one at their next login,
    which takes the password and a code sent to their own email
    (approvals.two_factor_codes).
    """
    from registration import services as registration_services

    with transaction.atomic():
        _lock_user(user)
        deleted = two_factor_codes.second_factor_forget(user=user)  # and its recovery codes
        registration_services.account_event_record(
            action=AccountAction.SECOND_FACTOR_RESET,
            user=user,
            subject=f"ID. usuario {user.username}",
            outcome=f"{deleted} dispositivo(s) eliminado(s) por {actor_label}: {reason}"[:200],
            source_ip=source_ip,
        )
    return int(deleted)


# --- Admin site ---------------------------------------------------------------------


class VerifiedAdminSite(AdminSite):
    """The Django admin behind the same second factor as the review pages.

    The admin edits the trust store (which CAs are believed), so a password
    alone must not reach it: staff log in at the portal, verify (or enrol)
    their TOTP device, and only then does the admin let them in.
    """

    def has_permission(self, request: HttpRequest) -> bool:
        return bool(super().has_permission(request)) and _is_verified(request.user)

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        """Anonymous: the portal login. Not an administrator: 403, said in Spanish (the
        portal login would send a logged-in user straight back here). Administrators:
        the second factor, then where they were going."""
        next_url = request.GET.get("next") or reverse("admin:index")
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = reverse("admin:index")
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(next_url)
        if not (user.is_active and user.is_staff):
            return render(request, "approvals/admin_forbidden.html", status=403)
        if not _is_verified(user):
            return second_factor_redirect(user, next_url)
        return redirect(next_url)
