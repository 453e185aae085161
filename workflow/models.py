"""The viewflow process that carries each registration request."""

from __future__ import annotations

from django.db import models
from viewflow.workflow.models import Process


class RegistrationProcess(Process):
    """The process of one registration request, whatever its kind (see workflow.flows)."""

    request = models.OneToOneField(
        "registration.RegistrationRequest",
        on_delete=models.PROTECT,
        related_name="process",
    )

    class Meta:
        # The table the model had in approvals, before the processes moved here.
        db_table = "approvals_registrationprocess"
        verbose_name = "proceso de solicitud"
        verbose_name_plural = "procesos de solicitud"
        permissions = [
            ("review_registration", "Puede revisar y decidir solicitudes del uso"),
        ]
