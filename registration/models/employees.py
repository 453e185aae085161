"""An employee's link to the company ("Administración de empleado") and what it grants."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from registration.models.catalogues import Company, OceType
from registration.models.entities import VueProcedure
from registration.models.requests import RegistrationRequest


class ServiceOption(models.Model):
    """An ECUAPASS option a representative can grant an employee on one of the company's OCE codes.

    A catalogue the administrator keeps (admin); ``manage.py load_reference_data``
    loads the defaults.
    """

    code = models.CharField("código", max_length=32, primary_key=True)
    name = models.CharField("opción", max_length=120)
    position = models.PositiveSmallIntegerField("orden", default=0)
    active = models.BooleanField("vigente", default=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = "opción de servicio"
        verbose_name_plural = "opciones de servicio"

    def __str__(self) -> str:
        return self.name


class Employment(models.Model):
    """The own row of a member's request (Empleado, Entidad): the organisation it names, and
    whether the link still holds.

    The organisation is the one the applicant named (a company with an active
    Representante, or an entity with an active Representante de la entidad, when the
    request is sent). One of its representatives decides the request, binds an employee
    to codes (EmployeeGrant) or an official to VUE procedures (``procedures``) and may
    later revoke the link.
    """

    request = models.OneToOneField(
        RegistrationRequest, on_delete=models.CASCADE, primary_key=True, related_name="employment"
    )
    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="employments", verbose_name="empresa"
    )
    revoked_at = models.DateTimeField("revocado", null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="revocado por",
    )
    revocation_reason = models.TextField("motivo de la revocación", blank=True)
    # An entity official's granted VUE procedures (a subset of the entity's).
    procedures = models.ManyToManyField(
        VueProcedure, blank=True, related_name="+", verbose_name="trámites de la VUE"
    )

    class Meta:
        verbose_name = "empleado de empresa"
        verbose_name_plural = "empleados de empresa"

    def __str__(self) -> str:
        return f"{self.request_id} → {self.company_id}"

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


class EmployeeGrant(models.Model):
    """One of the company's OCE codes the employee may act for, with the options granted on it."""

    employment = models.ForeignKey(Employment, on_delete=models.CASCADE, related_name="grants")
    oce_type = models.ForeignKey(OceType, on_delete=models.PROTECT, verbose_name="Tipo de OCEs")
    code = models.CharField("Código de OCEs", max_length=8)
    options = models.ManyToManyField(ServiceOption, related_name="+", verbose_name="opciones")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "código asignado"
        verbose_name_plural = "códigos asignados"
        constraints = [
            models.UniqueConstraint(fields=["employment", "code"], name="grant_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.oce_type})"
