"""Reviewer input."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.http import QueryDict

from approvals import two_factor_codes
from approvals.models import RejectionReason
from approvals.selectors import QUEUES, SORTS, QueueFilters
from approvals.services import Decision
from registration import services as registration_services
from registration.forms import IdField
from registration.kinds import declaration_for
from registration.models import RegistrationRequest, RequestKind, User


def observable_items(request_obj: RegistrationRequest | None) -> list[tuple[str, str]]:
    """What a reviewer can ask to correct: the fields the correction opens for the request's
    kind, its OCE table, each of its certificate files; labels as the applicant reads them."""
    if request_obj is None:
        names: tuple[str, ...] = (
            *registration_services.CORRECTABLE_FIELDS,
            registration_services.OCES_ITEM,
        )
        files: list[str] = []
    else:
        declaration = declaration_for(request_obj.kind)
        names = (
            *declaration.correctable_fields,
            *registration_services.kind_items(request_obj.kind),
        )
        files = [
            f"{registration_services.FILE_ITEM_PREFIX}{c.original_name}"
            for c in request_obj.certificates.all()
        ]
    kind = request_obj.kind if request_obj else ""
    return [
        (item, registration_services.correction_item_label(item, kind)) for item in (*names, *files)
    ]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="Decisión",
        choices=[
            (Decision.APPROVE.value, "Aprobar"),
            (Decision.OBSERVE.value, "Observar (devolver al solicitante para corrección)"),
            (Decision.REJECT.value, "Rechazar"),
        ],
        widget=forms.RadioSelect,
    )
    observed_items = forms.MultipleChoiceField(
        label="Qué debe corregir", required=False, widget=forms.CheckboxSelectMultiple
    )
    reason = forms.ModelChoiceField(
        label="Motivo del rechazo",
        queryset=RejectionReason.objects.none(),
        required=False,
        empty_label="--Selección--",
    )
    comment = forms.CharField(
        label="Observaciones o detalle del motivo",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        request_obj: RegistrationRequest | None = None,
        reasons: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["observed_items"].choices = observable_items(request_obj)  # type: ignore[attr-defined]
        self.fields["reason"].queryset = reasons  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        decision = data.get("decision")
        comment = data.get("comment", "").strip()
        if decision == Decision.OBSERVE:
            if not comment:
                self.add_error(
                    "comment", "Escriba las observaciones que el solicitante debe corregir."
                )
            if not data.get("observed_items"):
                self.add_error("observed_items", "Marque qué campos o archivos debe corregir.")
        if decision == Decision.REJECT and not data.get("reason"):
            self.add_error("reason", "Elija el motivo del rechazo.")
        return data

    def decision_text(self) -> str:
        """The comment a decision records: for a rejection, the catalogue reason plus detail."""
        data = self.cleaned_data
        comment = data.get("comment", "").strip()
        if data.get("decision") == Decision.REJECT and data.get("reason"):
            return f"{data['reason'].text}. {comment}".strip() if comment else data["reason"].text
        return comment


class ReassignForm(forms.Form):
    reviewer = forms.ModelChoiceField(
        label="Revisor", queryset=User.objects.none(), empty_label="--Selección--"
    )

    def __init__(self, *args: Any, reviewers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = reviewers  # type: ignore[attr-defined]


class SecondFactorResetForm(forms.Form):
    """A supervisor's reason for resetting a colleague's second factor (kept in the audit)."""

    motivo = forms.CharField(
        label="Motivo",
        max_length=150,
        error_messages={"required": "Indique el motivo del restablecimiento."},
    )


class AuditRangeForm(forms.Form):
    """The audit CSV's dates (desde/hasta, YYYY-MM-DD), both optional."""

    desde = forms.DateField(label="desde", required=False, input_formats=["%Y-%m-%d"])
    hasta = forms.DateField(label="hasta", required=False, input_formats=["%Y-%m-%d"])
    error = "Fechas no válidas: use AAAA-MM-DD en «desde» y «hasta» (por ejemplo, 2026-01-31)."


# Deep enough for any real queue (50 rows a page); past it OFFSET only burns the database.
MAX_QUEUE_PAGE = 100_000
CHOOSE_FROM_LIST = "Elija una opción de la lista."


class QueueFilterForm(forms.Form):
    """The queue page's query string: every filter bounded; a bad one is ignored and named."""

    cola = forms.ChoiceField(label="Cola", choices=list(QUEUES.items()), required=False)
    q = forms.CharField(label="Buscar", max_length=100, required=False)
    # Every kind (the queues hold the ones SENAE decides; "Todas" shows a supervisor the
    # organisations' too, read-only).
    tipo = forms.ChoiceField(label="Tipo", choices=RequestKind.choices, required=False)
    ruc = forms.CharField(
        label="RUC",
        max_length=13,
        required=False,
        validators=[RegexValidator(r"^[0-9]*$", "El RUC se escribe solo con dígitos (0-9).")],
    )
    provincia = forms.CharField(
        label="Provincia",
        max_length=2,
        required=False,
        validators=[RegexValidator(r"^[0-9]{2}$", "Elija una provincia de la lista.")],
    )
    oce = IdField(
        label="Tipo de OCE",
        required=False,
        error_messages={"invalid": "Elija un tipo de OCE de la lista."},
    )
    verificacion = forms.ChoiceField(
        label="Verificación",
        choices=[("verificada", "Verificada"), ("advertencias", "Con advertencias")],
        required=False,
    )
    sla = forms.ChoiceField(
        label="Plazo",
        choices=[(s, s) for s in ("a tiempo", "por vencer", "vencida")],
        required=False,
    )
    orden = forms.ChoiceField(label="Orden", choices=[(s, s) for s in SORTS], required=False)
    pagina = IdField(
        label="Página",
        max_value=MAX_QUEUE_PAGE,
        required=False,
        error_messages={
            "invalid": f"La página es un número de 1 a {MAX_QUEUE_PAGE} escrito con dígitos (0-9)."
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.ChoiceField):
                field.error_messages["invalid_choice"] = CHOOSE_FROM_LIST

    def filters(self) -> QueueFilters:
        """The valid filters; an invalid one falls back to its default (see `ignored`)."""
        self.is_valid()
        data = self.cleaned_data
        return QueueFilters(
            queue=data.get("cola") or "sin-asignar",
            q=data.get("q") or "",
            kind=data.get("tipo") or "",
            ruc=data.get("ruc") or "",
            province=data.get("provincia") or "",
            oce_type=data.get("oce"),
            verification=data.get("verificacion") or "",
            sla=data.get("sla") or "",
            sort=data.get("orden") or "antiguas",
            page=data.get("pagina") or 1,
        )

    def ignored(self) -> list[str]:
        """What the page tells the reviewer it left out, in Spanish, one line per filter."""
        self.is_valid()
        return [
            f"Se ignoró «{self.fields[name].label}»: {' '.join(str(e) for e in errors)}"
            for name, errors in self.errors.items()
        ]

    def pager_query(self) -> str:
        """The valid filters as a query string, for the pager's links (without the page)."""
        self.is_valid()
        query = QueryDict(mutable=True)
        for name, value in self.cleaned_data.items():
            if name != "pagina" and value not in (None, ""):
                query[name] = str(value)
        return query.urlencode()


# --- The second factor -------------------------------------------------------------


class SixDigitCodeField(forms.CharField):
    """A six-digit code read off an app or an email: spaces dropped, ASCII digits (0-9) only."""

    def __init__(self, *, invalid: str, attrs: dict[str, Any] | None = None, **kwargs: Any):
        kwargs.setdefault("max_length", 12)
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "autocomplete": "one-time-code",
                    "inputmode": "numeric",
                    "size": 8,
                    **(attrs or {}),
                }
            ),
        )
        super().__init__(**kwargs)
        self.invalid = invalid

    def clean(self, value: Any) -> str:
        code = re.sub(r"\s", "", super().clean(value))
        if not re.fullmatch(r"[0-9]{6}", code):
            raise forms.ValidationError(self.invalid)
        return code


class TokenForm(forms.Form):
    otp_token = SixDigitCodeField(
        label="Código de verificación",
        help_text="Los 6 dígitos que muestra su aplicación de autenticación.",
        error_messages={"required": "Escriba el código que muestra su aplicación."},
        invalid="El código tiene 6 dígitos, sin letras.",
        attrs={"autofocus": True},
    )


class EnrollmentCodeForm(forms.Form):
    enrollment_code = SixDigitCodeField(
        label="Código de activación",
        help_text="Los 6 dígitos del correo «código para activar la verificación en dos pasos».",
        error_messages={"required": "Escriba el código que le enviamos por correo."},
        invalid="El código de activación tiene 6 dígitos, sin letras.",
    )


class RecoveryCodeForm(forms.Form):
    recovery_code = forms.CharField(
        label="Código de recuperación",
        help_text="Uno de los 10 códigos de 8 caracteres que guardó al activar la verificación.",
        max_length=20,
        error_messages={"required": "Escriba uno de sus códigos de recuperación."},
        widget=forms.TextInput(attrs={"autocomplete": "off", "size": 12}),
    )

    def clean_recovery_code(self) -> str:
        code = two_factor_codes.normalize_recovery_code(self.cleaned_data["recovery_code"])
        if not re.fullmatch(r"[a-z2-7]{8}", code):
            raise forms.ValidationError(
                "Un código de recuperación tiene 8 caracteres (letras y números del 2 al 7)."
            )
        return code
