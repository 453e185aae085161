"""Reviewer input."""

from __future__ import annotations

from typing import Any

from django import forms

from approvals.models import RejectionReason
from approvals.services import Decision
from registration import services as registration_services
from registration.models import RegistrationRequest, User

# What a reviewer can ask to correct: the fields the correction opens, and the OCE table
# (plus each certificate file, added per request); labels as the applicant reads them.
OBSERVABLE_FIELDS = [
    (item, registration_services.correction_item_label(item))
    for item in (*registration_services.CORRECTABLE_FIELDS, registration_services.OCES_ITEM)
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
        files = [
            (item, registration_services.correction_item_label(item))
            for item in (
                f"{registration_services.FILE_ITEM_PREFIX}{c.original_name}"
                for c in (request_obj.certificates.all() if request_obj else [])
            )
        ]
        self.fields["observed_items"].choices = [*OBSERVABLE_FIELDS, *files]  # type: ignore[attr-defined]
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
