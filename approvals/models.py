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
