"""The ECUAPASS user, whose login is the "ID. usuario"."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

ID_USUARIO_VALIDATOR = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_.-]{3,19}$",
    "El ID. usuario debe tener de 4 a 20 caracteres: letras, números, punto, guion o "
    "guion bajo, y empezar con letra o número.",
)


class User(AbstractUser):
    """An ECUAPASS user; `username` is the "ID. usuario" used to log in."""

    username = models.CharField(
        "ID. usuario",
        max_length=20,
        unique=True,
        validators=[ID_USUARIO_VALIDATOR],
        error_messages={"unique": "Ya existe un usuario con ese ID. usuario."},
    )
    # A cédula, or a General user's passport number.
    cedula = models.CharField("Doc. Identificación", max_length=20, blank=True)
    # Contact preferences, copied from the request at activation; Mi página changes them.
    celular = models.CharField("Celular", max_length=16, blank=True)
    recibir_sms = models.BooleanField("Recibir mensaje SMS", default=False)
    # Why the user is disabled (registration.services.user_disable), shown on login and
    # on the status page. A user disabled for missing the annual update may still log in,
    # to update (which re-enables them); a certificate cause keeps them out.
    disabled_cause = models.CharField(
        "causa de la deshabilitación",
        max_length=16,
        blank=True,
        choices=[("certificado", "Certificado"), ("actualizacion", "Actualización anual")],
    )
    disabled_reason = models.CharField("motivo de la deshabilitación", max_length=300, blank=True)

    class Meta:
        verbose_name = "usuario"
        verbose_name_plural = "usuarios"
        constraints = [
            models.UniqueConstraint(
                fields=["cedula"],
                condition=~Q(cedula=""),
                name="user_cedula_unique_when_set",
            )
        ]
