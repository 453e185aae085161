"""The applicant's account after Registrar: one-time codes, account notices and the audit trail."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class CodePurpose(models.TextChoices):
    EMAIL_CONFIRM = "email_confirm", "Confirmación del correo de la solicitud"
    EMAIL_CHANGE = "email_change", "Cambio de correo electrónico"
    PASSWORD_RESET = "password_reset", "Reinicio de clave"
    STAFF_ENROLL = "staff_enroll", "Activación del segundo factor (personal del SENAE)"
    CORRECTION = "correction", "Acceso a la corrección de la solicitud"
    DATA_UPDATE = "data_update", "Modificar información del uso"


class OneTimeCode(models.Model):
    """A short code sent by email; only a nonce is stored, the code is derived from it.

    Belongs to a request (confirming its email, opening its correction page) or
    to a user (changing the email, resetting the password). A new code for the
    same purpose retires the old one; a code works once, until it expires, for a bounded number of attempts.
    """

    purpose = models.CharField(max_length=16, choices=CodePurpose.choices)
    request = models.ForeignKey(
        "registration.RegistrationRequest",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="codes",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="one_time_codes",
    )
    email = models.EmailField("enviado a")
    # The code is derived from SECRET_KEY, the row and this nonce: never stored, never queued.
    nonce = models.CharField(max_length=64)
    attempts = models.PositiveSmallIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField()
    # Claimed by the job that emails it, then sent (registration/services/delivery.py),
    # so a redelivered job sends nothing twice and a crashed one is sent again.
    claimed = models.DateTimeField(null=True, blank=True)
    sent = models.DateTimeField(null=True, blank=True)
    used = models.DateTimeField(null=True, blank=True)
    retired = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = "código de un solo uso"
        verbose_name_plural = "códigos de un solo uso"
        constraints = [
            models.CheckConstraint(
                condition=Q(purpose__in=CodePurpose.values), name="code_purpose_valid"
            ),
            models.CheckConstraint(
                condition=Q(request__isnull=False) | Q(user__isnull=False),
                name="code_has_owner",
            ),
        ]
        indexes = [
            models.Index(fields=["purpose", "request"], name="code_purpose_request_idx"),
            models.Index(fields=["purpose", "user"], name="code_purpose_user_idx"),
            # The owner's live code (selectors.live_codes, checked under a lock): one probe
            # however many used or retired codes the user piled up, so a reset code check
            # costs the same for every ID (issue 10 §3).
            models.Index(
                fields=["purpose", "user", "-created"],
                condition=Q(used__isnull=True, retired__isnull=True),
                name="code_live_user_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} → {self.email}"


class AccountAction(models.TextChoices):
    ID_LOOKUP = "id_lookup", "Buscar ID"
    RESET_REQUESTED = "reset_requested", "Reinicio de clave solicitado"
    RESET_DONE = "reset_done", "Clave reiniciada"
    RESET_FAILED = "reset_failed", "Reinicio de clave fallido"
    PASSWORD_CHANGED = "password_changed", "Cambio de contraseña"
    EMAIL_CHANGE_REQUESTED = "email_change_requested", "Cambio de correo solicitado"
    EMAIL_CHANGED = "email_changed", "Correo electrónico cambiado"
    SMS_PREFERENCE = "sms_preference", "Preferencia de SMS"
    SECOND_FACTOR_RESET = "second_factor_reset", "Segundo factor restablecido"


class AccountEvent(models.Model):
    """Append-only audit of account actions, including the ones that matched nobody.

    `subject` names what was asked about (an ID, a masked email), never a secret.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="account_events",
    )
    action = models.CharField(max_length=32, choices=AccountAction.choices)
    subject = models.CharField(max_length=200, blank=True)
    outcome = models.CharField(max_length=200, blank=True)
    source_ip = models.GenericIPAddressField("IP de origen", null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = "evento de cuenta"
        verbose_name_plural = "eventos de cuenta"
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=AccountAction.values), name="account_action_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.subject}"


class AccountNotice(models.Model):
    """An email about the account (password or email changed, the ID. usuario reminder).

    Written in the transaction that made the change, so a broker that is down loses
    nothing: the beat job re-sends what is still unsent. The job claims the row
    before emailing and marks it sent after (registration/services/delivery.py), so
    a redelivered or duplicated job sends nothing twice and a crashed one is re-sent.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="account_notices",
    )
    to = models.EmailField("enviado a")
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    claimed = models.DateTimeField(null=True, blank=True)
    sent = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = "aviso de cuenta"
        verbose_name_plural = "avisos de cuenta"

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"
