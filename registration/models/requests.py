"""Registration requests and their parts: OCE rows, certificate files, history."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from registration.models.catalogues import (
    Canton,
    Company,
    MobileOperator,
    OceType,
    Province,
    SecurityQuestion,
)
from registration.models.users import ID_USUARIO_VALIDATOR


class RequestKind(models.TextChoices):
    REPRESENTANTE = "representante", "Solicitud del uso (Representante)"
    EMPLEADO = "empleado", "Solicitud del uso (Empleado)"
    GENERAL = "general", "Solicitud del uso (General)"
    REPRESENTANTE_ENTIDAD = (
        "representante_entidad",
        "Solicitud del uso (Representante de la entidad)",
    )
    ENTIDAD = "entidad", "Solicitud del uso (Entidad)"


class RequestStatus(models.TextChoices):
    SUBMITTED = "submitted", "Enviada"
    CERTIFICATE_VERIFIED = "certificate_verified", "Certificado verificado"
    VERIFICATION_FAILED = "verification_failed", "Verificación de certificado fallida"
    OBSERVED = "observed", "Observada"
    COMPANY_APPROVED = "company_approved", "Empresa aprobada"
    ACTIVE = "active", "Activa"
    REJECTED = "rejected", "Rechazada"
    EXPIRED = "expired", "Caducada"
    DISABLED = "disabled", "Deshabilitada"


# Requests in these states no longer hold their ID. usuario and cédula.
RELEASED_STATUSES = (RequestStatus.REJECTED, RequestStatus.EXPIRED)
# A request in these states no longer claims its ID. usuario on its own (its user does).
ID_RELEASED_STATUSES = (*RELEASED_STATUSES, RequestStatus.ACTIVE, RequestStatus.DISABLED)
# The applicant can edit and resubmit a request in these states.
CORRECTABLE_STATUSES = (RequestStatus.OBSERVED, RequestStatus.VERIFICATION_FAILED)

OPEN_ENDED = datetime.date(9999, 12, 31)


class TrackingCounter(models.Model):
    """Per-year sequence behind tracking numbers like SOL-2026-000123."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class RegistrationRequest(models.Model):
    tracking_number = models.CharField("número de solicitud", max_length=20, unique=True)
    # One per rendered form: a double click on Registrar finds the first request.
    submission_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    # Which browser sent it (an HMAC of its session key): the token alone opens nothing.
    submission_session = models.CharField(max_length=64, blank=True, default="", editable=False)
    kind = models.CharField("tipo", max_length=32, choices=RequestKind.choices)
    status = models.CharField(
        "estado", max_length=32, choices=RequestStatus.choices, default=RequestStatus.SUBMITTED
    )

    # The organisation the request is for: the company a Representante (or, later, an
    # Empleado) names, the entity of an entity's official; blank for a General user.
    # Queues search, filter and sort on them and every kind but General names one, so
    # they stay on the envelope; the rest of a kind's block is its details row
    # (CompanyDetails).
    ruc = models.CharField("RUC empresa", max_length=13, blank=True)
    razon_social = models.CharField("Razón Social", max_length=200, blank=True)
    # What the RUC check warned about (a mod-11 failure is a warning, not an error).
    ruc_warnings = models.JSONField("advertencias del RUC", default=list, blank=True)

    # Información de representante
    id_usuario = models.CharField("ID. usuario", max_length=20, validators=[ID_USUARIO_VALIDATOR])
    doc_type = models.CharField("tipo de documento", max_length=32, default="CEDULA DE IDENTIDAD")
    # A cédula (10 digits) or, for a General user, a passport number.
    cedula = models.CharField("Doc. Identificación", max_length=20)
    # The passport's issuing country (ISO 3166 alpha-2); blank for a cédula.
    doc_country = models.CharField("País emisor del documento", max_length=2, blank=True)
    nombre_usuario = models.CharField("Nombre Usuario", max_length=150)
    # Cleared at activation, once the user holds it.
    password_hash = models.CharField("contraseña (hash Argon2id)", max_length=256, blank=True)
    question1 = models.ForeignKey(SecurityQuestion, on_delete=models.PROTECT, related_name="+")
    answer1_hash = models.CharField(max_length=256)
    question2 = models.ForeignKey(SecurityQuestion, on_delete=models.PROTECT, related_name="+")
    answer2_hash = models.CharField(max_length=256)
    question3 = models.ForeignKey(SecurityQuestion, on_delete=models.PROTECT, related_name="+")
    answer3_hash = models.CharField(max_length=256)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, verbose_name="Provincia")
    canton = models.ForeignKey(Canton, on_delete=models.PROTECT, verbose_name="Ciudad")
    direccion = models.CharField("Dirección", max_length=300)
    telefono1 = models.CharField("Teléfono1", max_length=16)
    telefono2 = models.CharField("Teléfono2", max_length=16, blank=True)
    celular = models.CharField("Celular", max_length=16, blank=True)
    operadora = models.ForeignKey(
        MobileOperator, on_delete=models.PROTECT, null=True, blank=True, verbose_name="Operadora"
    )
    fax = models.CharField("Fax", max_length=16, blank=True)
    email = models.EmailField("Correo Electrónico")
    posicion = models.CharField("Posición", max_length=32, default="REPRESENTANTES")
    senae_email = models.EmailField("SENAE Correo Electrónico", blank=True)
    recibir_sms = models.BooleanField("Recibir mensaje SMS", default=True)

    # Proof of possession: the challenge text and the applicant's detached CMS signature
    possession_challenge = models.TextField("reto firmado", blank=True)
    possession_signature = models.BinaryField("firma del reto (CMS)", blank=True, default=b"")

    # Outcome of the automatic and human steps
    verification_outcome = models.CharField(
        "resultado de la verificación",
        max_length=16,
        blank=True,
        choices=[
            ("verificada", "Verificada"),
            ("advertencias", "Verificada con advertencias"),
            ("fallida", "Fallida"),
        ],
    )
    verification = models.JSONField("resultado de la verificación", default=dict, blank=True)
    verified_at = models.DateTimeField("verificado", null=True, blank=True)
    observation = models.TextField("observaciones", blank=True)
    # What the reviewer asked to correct: field names and certificate file names.
    observed_items = models.JSONField("campos observados", default=list, blank=True)
    rejection_reason = models.TextField("motivo del rechazo", blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="decided_requests",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    company = models.ForeignKey(Company, on_delete=models.PROTECT, null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="registration_requests",
    )
    # The applicant confirmed the email with a one-time code (before review).
    email_confirmed_at = models.DateTimeField("correo confirmado", null=True, blank=True)
    # When the state last changed (set by `transition`): waiting times and expiry count from it.
    status_changed_at = models.DateTimeField("último cambio de estado", null=True, blank=True)
    # The one reminder of the current wait (email confirmation or correction) went out.
    reminder_sent_at = models.DateTimeField("recordatorio enviado", null=True, blank=True)
    created = models.DateTimeField("enviada", auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "solicitud del uso"
        verbose_name_plural = "solicitudes del uso"
        ordering = ["-created"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RequestStatus.values), name="request_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=RequestKind.values), name="request_kind_valid"
            ),
            # Two requests in process can't claim one ID. usuario (an active or disabled
            # one's is held by its user; a General user's company request reuses it).
            models.UniqueConstraint(
                fields=["id_usuario"],
                condition=~Q(status__in=ID_RELEASED_STATUSES),
                name="request_open_id_usuario_unique",
            ),
            # Nor two open requests of one kind one cédula.
            models.UniqueConstraint(
                fields=["cedula", "kind"],
                condition=~Q(status__in=RELEASED_STATUSES),
                name="request_open_cedula_kind_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created"], name="request_status_created_idx"),
            models.Index(fields=["ruc"], name="request_ruc_idx"),
            models.Index(fields=["cedula"], name="request_cedula_idx"),
            models.Index(fields=["kind", "status"], name="request_kind_status_idx"),
        ]

    def __str__(self) -> str:
        return self.tracking_number

    @property
    def is_correctable(self) -> bool:
        return self.status in CORRECTABLE_STATUSES


class CompanyDetails(models.Model):
    """The rest of the Representante's "Información de empresa" (registration.kinds)."""

    request = models.OneToOneField(
        RegistrationRequest,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="company_details",
    )
    direccion_empresa = models.CharField("Dirección de empresa", max_length=300)
    telefono_empresa = models.CharField("Teléfono empresa", max_length=16)

    class Meta:
        verbose_name = "información de empresa"
        verbose_name_plural = "información de empresa"

    def __str__(self) -> str:
        return f"{self.request_id}: {self.direccion_empresa}"


class OceRow(models.Model):
    """An OCE code the company already holds ("Tipo de OCEs" table)."""

    request = models.ForeignKey(RegistrationRequest, on_delete=models.CASCADE, related_name="oces")
    oce_type = models.ForeignKey(OceType, on_delete=models.PROTECT, verbose_name="Tipo de OCEs")
    code = models.CharField("Código de OCEs", max_length=8, validators=[RegexValidator(r"^\d{8}$")])
    start_month = models.PositiveSmallIntegerField("mes de inicio")
    start_year = models.PositiveSmallIntegerField("año de inicio")
    end_date = models.DateField("Fecha de fin", default=OPEN_ENDED)

    class Meta:
        ordering = ["id"]
        verbose_name = "OCE"
        verbose_name_plural = "OCEs"
        constraints = [
            models.UniqueConstraint(fields=["request", "code"], name="oce_code_unique_per_request"),
            models.CheckConstraint(
                condition=Q(start_month__gte=1, start_month__lte=12), name="oce_start_month_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.oce_type}"

    @property
    def start_label(self) -> str:
        return f"{self.start_month}/{self.start_year}"


def certificate_upload_to(instance: CertificateFile, filename: str) -> str:
    # Never trust the client's file name on disk; keep it only as metadata.
    return f"certificados/{instance.sha256[:2]}/{instance.sha256}.cer"


class CertificateFile(models.Model):
    """An uploaded public certificate ("Identificación única de certificado digital")."""

    request = models.ForeignKey(
        RegistrationRequest, on_delete=models.CASCADE, related_name="certificates"
    )
    file = models.FileField(upload_to=certificate_upload_to)
    original_name = models.CharField("Nombre del archivo", max_length=255)
    size = models.PositiveIntegerField("Tamaño del archivo (bytes)")
    sha256 = models.CharField(max_length=64)
    uploaded = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "certificado digital"
        verbose_name_plural = "certificados digitales"
        constraints = [
            models.UniqueConstraint(
                fields=["request", "sha256"], name="certificate_unique_per_request"
            )
        ]

    def __str__(self) -> str:
        return self.original_name

    @property
    def size_kb(self) -> str:
        return f"{self.size / 1024:.1f}"


class RequestEvent(models.Model):
    """Append-only history of a request: every state change, who, when and why."""

    request = models.ForeignKey(
        RegistrationRequest, on_delete=models.PROTECT, related_name="events"
    )
    from_status = models.CharField(max_length=32, blank=True)
    to_status = models.CharField(max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=64)
    source_ip = models.GenericIPAddressField("IP de origen", null=True, blank=True)
    comment = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created", "id"]
        verbose_name = "evento de solicitud"
        verbose_name_plural = "eventos de solicitud"
        indexes = [
            models.Index(fields=["to_status", "created"], name="event_to_status_created_idx")
        ]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.from_status} → {self.to_status}"

    @property
    def to_status_label(self) -> str:
        return (
            str(RequestStatus(self.to_status).label)
            if self.to_status in RequestStatus.values
            else self.to_status
        )


class RequestVersion(models.Model):
    """What the applicant sent, each time: the first submission and every correction.

    `data` holds the form's fields and the certificate files (name, SHA-256) as sent.
    """

    request = models.ForeignKey(
        RegistrationRequest, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField("versión")
    data = models.JSONField(default=dict)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["request", "number"]
        verbose_name = "versión de solicitud"
        verbose_name_plural = "versiones de solicitud"
        constraints = [
            models.UniqueConstraint(fields=["request", "number"], name="request_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.request_id} v{self.number}"


class StagedCertificate(models.Model):
    """A certificate accepted while the rest of the form still had errors.

    Kept for the applicant's browser session so a failed submit loses no file.
    """

    session_key = models.CharField(max_length=40, db_index=True)
    kind = models.CharField(
        max_length=16,
        choices=[
            ("certificado", "certificado"),
            ("firma", "firma del reto"),
            ("nombramiento", "nombramiento o delegación"),
        ],
        default="certificado",
    )
    name = models.CharField(max_length=255)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session_key", "kind", "sha256"], name="staged_file_unique_per_session"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def size_kb(self) -> str:
        return f"{self.size / 1024:.1f}"


class NotificationKind(models.TextChoices):
    SUBMITTED = "submitted", "Solicitud registrada"
    CERT_FAILED = "cert_failed", "Certificado no verificado"
    OBSERVED = "observed", "Solicitud observada"
    REJECTED = "rejected", "Solicitud rechazada"
    ACTIVE = "active", "Usuario activo"
    REMINDER = "reminder", "Recordatorio"
    EXPIRED = "expired", "Solicitud caducada"
    EMPLOYEE_PENDING = "employee_pending", "Solicitud de empleado por aprobar"
    DISABLED = "disabled", "Usuario deshabilitado"
    UPDATE_DUE = "update_due", "Actualización anual de datos"


class Notification(models.Model):
    """One message about a request: by email, by SMS if chosen, and in the Buzón Electrónico.

    (request, kind, event) is unique, so a repeated event writes nothing new;
    each channel is claimed before it is used, so a retried job sends nothing twice.
    """

    request = models.ForeignKey(
        RegistrationRequest, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=16, choices=NotificationKind.choices)
    event = models.ForeignKey(RequestEvent, on_delete=models.PROTECT, related_name="+")
    # Someone other than the applicant (a representative told of an employee's request);
    # null: the request's own applicant.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    subject = models.CharField(max_length=200)
    body = models.TextField()
    # Each channel: claimed by a worker, then sent (registration/services/delivery.py).
    email_claimed = models.DateTimeField(null=True, blank=True)
    email_sent = models.DateTimeField(null=True, blank=True)
    sms_claimed = models.DateTimeField(null=True, blank=True)
    sms_sent = models.DateTimeField(null=True, blank=True)
    read = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = "notificación"
        verbose_name_plural = "notificaciones"
        constraints = [
            models.UniqueConstraint(
                fields=["request", "kind", "event"],
                condition=Q(recipient__isnull=True),
                name="notification_once_per_event",
            ),
            models.UniqueConstraint(
                fields=["request", "kind", "event", "recipient"],
                condition=Q(recipient__isnull=False),
                name="notification_once_per_event_recipient",
            ),
        ]

    def __str__(self) -> str:
        return self.subject
