"""Reviewer input."""

from __future__ import annotations

from typing import Any

from django import forms

from approvals.services import Decision


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
    comment = forms.CharField(
        label="Observaciones o motivo",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        decision = data.get("decision")
        if decision == Decision.OBSERVE and not data.get("comment", "").strip():
            self.add_error("comment", "Escriba las observaciones que el solicitante debe corregir.")
        if decision == Decision.REJECT and not data.get("comment", "").strip():
            self.add_error("comment", "Indique el motivo del rechazo.")
        return data
