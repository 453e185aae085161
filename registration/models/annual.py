"""The annual data update (Resolución SENAE-DGN-2016-0364-RE): who updated, and what they were told."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from registration.models.requests import RegistrationRequest


class AnnualUpdate(models.Model):
    """A user's data update for one year ("3.2.3 Modificar información del uso")."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="annual_updates"
    )
    year = models.PositiveSmallIntegerField("año")
    request = models.ForeignKey(
        RegistrationRequest, on_delete=models.PROTECT, related_name="annual_updates"
    )
    changed = models.JSONField("datos cambiados", default=list)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "actualización anual de datos"
        verbose_name_plural = "actualizaciones anuales de datos"
        constraints = [
            models.UniqueConstraint(fields=["user", "year"], name="annual_update_once_a_year")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.year}"


class AnnualNoticeKind(models.TextChoices):
    REMINDER_DECEMBER = "recordatorio_diciembre", "Recordatorio de diciembre"
    REMINDER_JANUARY = "recordatorio_enero", "Recordatorio de enero"
    DISABLED = "deshabilitado", "Usuario deshabilitado por no actualizar"


class AnnualUpdateNotice(models.Model):
    """What the sweep did for a user's update of a year: each at most once (the unique
    constraint is what keeps two workers, or two beats, from doing it twice)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="annual_notices"
    )
    year = models.PositiveSmallIntegerField("año")
    kind = models.CharField(max_length=32, choices=AnnualNoticeKind.choices)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "aviso de actualización anual"
        verbose_name_plural = "avisos de actualización anual"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "year", "kind"], name="annual_notice_once_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.year} {self.kind}"


class TermsVersion(models.Model):
    """A version of the terms of use ("Convenio de uso de ECUAPASS"): the newest published
    one is what registration and the annual update ask the user to accept."""

    number = models.PositiveSmallIntegerField("versión", unique=True)
    title = models.CharField("título", max_length=200)
    text = models.TextField("texto")
    published = models.DateField("vigente desde")

    class Meta:
        ordering = ["-number"]
        verbose_name = "versión del convenio"
        verbose_name_plural = "versiones del convenio"

    def __str__(self) -> str:
        return f"{self.title} (versión {self.number})"


class TermsAcceptance(models.Model):
    """Who accepted which version of the convenio, when and where: with a request at
    registration (its user is the request's), with the user at an annual update."""

    version = models.ForeignKey(TermsVersion, on_delete=models.PROTECT, related_name="+")
    request = models.ForeignKey(
        RegistrationRequest,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="terms_acceptances",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="terms_acceptances",
    )
    context = models.CharField(
        max_length=16, choices=[("registro", "Registro"), ("actualizacion", "Actualización anual")]
    )
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    accepted = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "aceptación del convenio"
        verbose_name_plural = "aceptaciones del convenio"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(request__isnull=False) | models.Q(user__isnull=False),
                name="terms_acceptance_has_owner",
            )
        ]

    def __str__(self) -> str:
        return f"{self.version_id} {self.request_id or self.user_id}"
