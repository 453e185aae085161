"""Reviewer-side data: the viewflow process that carries each request."""

from __future__ import annotations

from django.db import models
from viewflow.workflow.models import Process


class RegistrationProcess(Process):
    """The process of one registration request through verification and approval."""

    request = models.OneToOneField(
        "registration.RegistrationRequest",
        on_delete=models.PROTECT,
        related_name="process",
    )

    class Meta:
        verbose_name = "proceso de solicitud"
        verbose_name_plural = "procesos de solicitud"
        permissions = [
            ("review_registration", "Puede revisar y decidir solicitudes del uso"),
        ]


class RejectionReason(models.Model):
    """The editable catalogue a reviewer picks a rejection reason from."""

    text = models.CharField("motivo", max_length=200, unique=True)
    active = models.BooleanField("activo", default=True)
    position = models.PositiveSmallIntegerField("orden", default=0)

    class Meta:
        ordering = ["position", "text"]
        verbose_name = "motivo de rechazo"
        verbose_name_plural = "motivos de rechazo"

    def __str__(self) -> str:
        return self.text
