"""Certificate trust: the trust store, cached CRLs, bindings to users, possession challenges."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from registration.models.requests import RegistrationRequest


class TrustAnchor(models.Model):
    """A CA certificate SENAE trusts: a root, or an intermediate kept in the store."""

    name = models.CharField("autoridad de certificación", max_length=200)
    identity_arc = models.CharField(
        "arco de identidad (OID)",
        max_length=64,
        blank=True,
        help_text="Arco de las extensiones de identidad de la CA, p. ej. 1.3.6.1.4.1.37947.",
    )
    certificate = models.BinaryField("certificado (DER)")
    subject = models.CharField(max_length=500)
    sha256 = models.CharField(max_length=64, unique=True)
    is_root = models.BooleanField("raíz", default=True)
    not_after = models.DateTimeField("válido hasta")
    active = models.BooleanField("activo", default=True)
    is_demo = models.BooleanField(
        "de demostración", default=False, help_text="Solo para pruebas: nunca en producción."
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "ancla de confianza"
        verbose_name_plural = "almacén de confianza"

    def __str__(self) -> str:
        return f"{self.name}{' (DEMOSTRACIÓN)' if self.is_demo else ''}"


class CachedCrl(models.Model):
    """A certificate revocation list, kept until its nextUpdate."""

    url = models.CharField(max_length=1000, unique=True)
    der = models.BinaryField()
    next_update = models.DateTimeField(null=True, blank=True)
    fetched = models.DateTimeField()

    class Meta:
        verbose_name = "CRL en caché"
        verbose_name_plural = "CRL en caché"

    def __str__(self) -> str:
        return self.url


class CertificateBinding(models.Model):
    """The certificate that backs a user: issuer, serial and SHA-256 fingerprint."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="certificates"
    )
    request = models.ForeignKey(
        RegistrationRequest, on_delete=models.PROTECT, related_name="bindings"
    )
    issuer = models.CharField(max_length=500)
    serial_number = models.CharField(max_length=80)
    sha256 = models.CharField(max_length=64)
    certificate = models.BinaryField()
    not_after = models.DateTimeField()
    active = models.BooleanField(default=True)
    expiry_warned = models.DateTimeField(null=True, blank=True)
    last_checked = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "certificado vinculado"
        verbose_name_plural = "certificados vinculados"
        constraints = [
            # One certificate can't back two active users.
            models.UniqueConstraint(
                fields=["sha256"],
                condition=Q(active=True),
                name="binding_one_active_per_certificate",
            ),
        ]
        indexes = [
            models.Index(fields=["active", "not_after"], name="binding_active_not_after_idx")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.issuer} #{self.serial_number}"


class PossessionChallenge(models.Model):
    """The one-time text an applicant signs to prove they hold the certificate's key."""

    # A rendered form (submission token) or, for a correction, the request.
    form_token = models.UUIDField(null=True, blank=True, unique=True)
    request = models.ForeignKey(
        RegistrationRequest,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="challenges",
    )
    nonce = models.CharField(max_length=64, unique=True)
    text = models.TextField()
    expires = models.DateTimeField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "reto de posesión"
        verbose_name_plural = "retos de posesión"

    def __str__(self) -> str:
        return self.nonce
