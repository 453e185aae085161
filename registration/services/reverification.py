"""Active users' certificates, checked again: warn before expiry, disable on expiry or revocation."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from cryptography import x509
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from registration import certificates
from registration.models import CertificateBinding
from registration.services.common import (
    request_note,
)
from registration.services.disabling import CERTIFICATE_CAUSE, user_disable
from registration.services.verification import chain_check

logger = logging.getLogger(__name__)

# Findings that end a certificate's use; anything else is noted, not acted on.
DISABLING_CODES = frozenset({"chain.expired", "revocation.revoked"})


@dataclass
class ReverificationSummary:
    checked: int = 0
    warned: int = 0
    disabled: int = 0


def certificates_reverify(*, at: datetime.datetime | None = None) -> ReverificationSummary:
    """Check every active binding at `at` (now by default)."""
    now = at or timezone.now()
    checks: list[certificates.CertificateCheck] = [chain_check()]
    summary = ReverificationSummary()
    warn_before = datetime.timedelta(days=settings.ECUAPASS_CERT_EXPIRY_WARNING_DAYS)
    for binding in CertificateBinding.objects.filter(active=True).select_related("user", "request"):
        summary.checked += 1
        cert = x509.load_der_x509_certificate(bytes(binding.certificate))
        context = certificates.VerificationContext(
            expected_cedula=binding.user.cedula, expected_ruc=binding.request.ruc, at=now
        )
        findings = [f for check in checks for f in check.run(cert, context)]
        disabling = [f for f in findings if not f.ok and f.code in DISABLING_CODES]
        if disabling and settings.ECUAPASS_DISABLE_ON_CERTIFICATE_PROBLEM:
            binding_disable(binding_id=binding.pk, reason=" ".join(f.message for f in disabling))
            summary.disabled += 1
        elif binding.not_after - now <= warn_before and binding.expiry_warned is None:
            binding_warn_expiry(binding_id=binding.pk)
            summary.warned += 1
        CertificateBinding.objects.filter(pk=binding.pk).update(last_checked=now)
    return summary


@transaction.atomic
def binding_disable(*, binding_id: int, reason: str) -> None:
    """Disable the user whose certificate expired or was revoked, with the reason recorded."""
    binding = (
        CertificateBinding.objects.select_for_update().select_related("user").get(pk=binding_id)
    )
    if not binding.active:
        return
    binding.active = False
    binding.save(update_fields=["active"])
    user_disable(
        user=binding.user,
        request=binding.request,
        cause=CERTIFICATE_CAUSE,
        reason=f"{reason} Para volver a usar ECUAPASS registre una nueva Solicitud del uso "
        "con un certificado vigente.",
    )


@transaction.atomic
def binding_warn_expiry(*, binding_id: int) -> None:
    """Tell the user, once, that their certificate expires soon."""
    binding = (
        CertificateBinding.objects.select_for_update().select_related("user").get(pk=binding_id)
    )
    if binding.expiry_warned is not None:
        return
    binding.expiry_warned = timezone.now()
    binding.save(update_fields=["expiry_warned"])
    expires = timezone.localtime(binding.not_after).strftime("%d/%m/%Y")
    request_note(
        request_id=binding.request_id,
        actor=None,
        comment=f"Aviso: el certificado del usuario vence el {expires}.",
    )
    user = binding.user
    transaction.on_commit(
        lambda: send_mail(
            "ECUAPASS: su certificado digital vence pronto",
            f"El certificado digital del usuario {user.username} vence el {expires}. "
            "Renuévelo antes de esa fecha; al vencer, el usuario se deshabilita.",
            None,
            [user.email],
            fail_silently=True,
        )
    )
