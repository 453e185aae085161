"""The representative's forms: a decision on an employee's request, codes and options, revocation."""

from __future__ import annotations

from typing import Any

from django import forms

from approvals.company import Decision
from registration import services as registration_services
from registration.kinds import EMPLEADO
from registration.models import OceRow, ServiceOption
from registration.services.versions import FIELD_LABELS


class GrantsForm(forms.Form):
    """The company's valid OCE codes, each with the options it grants ("codigo" + "opciones-<code>")."""

    codes = forms.MultipleChoiceField(
        label="Códigos de OCE de la empresa", required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, company_codes: list[OceRow], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.company_codes = company_codes
        self.fields["codes"].choices = [  # type: ignore[attr-defined]
            (row.code, f"{row.code} — {row.oce_type.name}") for row in company_codes
        ]
        options = [(o.code, o.name) for o in ServiceOption.objects.filter(active=True)]
        for row in company_codes:
            self.fields[f"opciones-{row.code}"] = forms.MultipleChoiceField(
                label=f"Opciones para {row.code}",
                required=False,
                choices=options,
                widget=forms.CheckboxSelectMultiple,
            )

    def option_fields(self) -> list[tuple[OceRow, forms.BoundField]]:
        return [(row, self[f"opciones-{row.code}"]) for row in self.company_codes]

    def grants(self) -> tuple[registration_services.GrantEntry, ...]:
        data = self.cleaned_data
        return tuple(
            registration_services.GrantEntry(
                code=code, option_codes=tuple(data.get(f"opciones-{code}") or ())
            )
            for code in data.get("codes") or ()
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for code in data.get("codes") or ():
            if not data.get(f"opciones-{code}"):
                self.add_error(f"opciones-{code}", f"Elija al menos una opción para {code}.")
        return data


class EmployeeDecisionForm(GrantsForm):
    decision = forms.ChoiceField(
        label="Decisión",
        choices=[
            (Decision.APPROVE.value, "Aprobar y asignar códigos y opciones"),
            (Decision.OBSERVE.value, "Observar (devolver al empleado para corrección)"),
            (Decision.REJECT.value, "Rechazar"),
        ],
        widget=forms.RadioSelect,
    )
    observed_items = forms.MultipleChoiceField(
        label="Qué debe corregir", required=False, widget=forms.CheckboxSelectMultiple
    )
    comment = forms.CharField(
        label="Observaciones o motivo del rechazo",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["observed_items"].choices = [  # type: ignore[attr-defined]
            *((name, FIELD_LABELS[name]) for name in EMPLEADO.correctable_fields),
            (registration_services.CERTIFICATES_ITEM, "Certificados digitales"),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        decision = data.get("decision")
        if decision == Decision.APPROVE and not data.get("codes"):
            self.add_error("codes", "Asigne al menos un código de OCE de la empresa.")
        if (
            decision in (Decision.OBSERVE, Decision.REJECT)
            and not (data.get("comment") or "").strip()
        ):
            self.add_error(
                "comment",
                "Escriba las observaciones."
                if decision == Decision.OBSERVE
                else "Indique el motivo del rechazo.",
            )
        return data


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label="Motivo de la revocación", max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)
