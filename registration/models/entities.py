"""Public entities that use the VUE (Ventanilla Única Ecuatoriana): the procedures they
handle, the entity block of a "Representante de la entidad", and their appointment."""

from __future__ import annotations

from django.db import models

from registration.models.requests import RegistrationRequest


class VueProcedure(models.Model):
    """A VUE procedure an entity handles (CO, DDO, DCP) and an official can be granted.

    A catalogue the administrator keeps (admin); ``manage.py load_reference_data``
    loads the defaults.
    """

    code = models.CharField("código", max_length=16, primary_key=True)
    name = models.CharField("trámite", max_length=120)
    position = models.PositiveSmallIntegerField("orden", default=0)
    active = models.BooleanField("vigente", default=True)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = "trámite de la VUE"
        verbose_name_plural = "trámites de la VUE"

    def __str__(self) -> str:
        return f"{self.code}: {self.name}"


class EntityDetails(models.Model):
    """The rest of a Representante de la entidad's "Información de la entidad" (registration.kinds).

    The field names are the company block's, so the registry lookup, the activation's
    company record and the correction read both kinds alike; the labels are the entity's.
    """

    request = models.OneToOneField(
        RegistrationRequest,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="entity_details",
    )
    direccion_empresa = models.CharField("Dirección de la entidad", max_length=300)
    telefono_empresa = models.CharField("Teléfono de la entidad", max_length=16)
    # Codes of VueProcedure rows (CO, DDO, DCP): one or more.
    procedures = models.JSONField("Trámites de la VUE", default=list)

    class Meta:
        verbose_name = "información de la entidad"
        verbose_name_plural = "información de la entidad"

    def __str__(self) -> str:
        return f"{self.request_id}: {', '.join(self.procedures)}"


def appointment_upload_to(instance: AppointmentFile, filename: str) -> str:
    # Never trust the client's file name on disk; keep it only as metadata.
    return f"nombramientos/{instance.sha256[:2]}/{instance.sha256}.pdf"


class AppointmentFile(models.Model):
    """The appointment (nombramiento or delegation, PDF) of a Representante de la entidad.

    Stored like the certificates; only SENAE's reviewers download it.
    """

    request = models.OneToOneField(
        RegistrationRequest, on_delete=models.CASCADE, primary_key=True, related_name="appointment"
    )
    file = models.FileField(upload_to=appointment_upload_to)
    original_name = models.CharField("Nombre del archivo", max_length=255)
    size = models.PositiveIntegerField("Tamaño del archivo (bytes)")
    sha256 = models.CharField(max_length=64)
    pages = models.PositiveIntegerField("páginas")
    uploaded = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "nombramiento o delegación"
        verbose_name_plural = "nombramientos o delegaciones"

    def __str__(self) -> str:
        return self.original_name

    @property
    def size_kb(self) -> str:
        return f"{self.size / 1024:.1f}"
