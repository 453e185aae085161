"""The representative's forms: a decision on a member's request, what it grants (OCE codes and
options for an employee, VUE procedures for an official), revocation."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from approvals.company import Decision
from approvals.forms import observable_items
from registration import services as registration_services
from registration.kinds import PROCEDURE_GRANTS, declaration_for
from registration.models import Company, Employment, OceRow, RegistrationRequest, ServiceOption
from registration.selectors import company_oce_codes, entity_procedures


def _company(request_obj: RegistrationRequest) -> Company:
    return Employment.objects.select_related("company").get(request=request_obj).company


class GrantsForm(forms.Form):
    """The company's valid OCE codes, each with the options it grants ("codes" + "opciones-<code>")."""

    codes = forms.MultipleChoiceField(
        label="Códigos de OCE de la empresa", required=False, widget=forms.CheckboxSelectMultiple
    )
    approve_label = "Aprobar y asignar códigos y opciones"
    none_chosen = "Asigne al menos un código de OCE de la empresa."
    grants_legend = "Códigos de OCE de la empresa y opciones"
    save_label = "Guardar códigos y opciones"
    procedure_grants = False

    def __init__(self, *args: Any, request_obj: RegistrationRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        company_codes = company_oce_codes(company=_company(request_obj), on=timezone.localdate())
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


class ProceduresForm(forms.Form):
    """The VUE procedures the entity handles, to grant an official ("codes")."""

    codes = forms.MultipleChoiceField(
        label="Trámites de la VUE de la entidad",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    approve_label = "Aprobar y asignar trámites de la VUE"
    none_chosen = "Asigne al menos un trámite de la VUE de la entidad."
    grants_legend = "Trámites de la VUE de la entidad"
    save_label = "Guardar trámites de la VUE"
    procedure_grants = True

    def __init__(self, *args: Any, request_obj: RegistrationRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["codes"].choices = [  # type: ignore[attr-defined]
            (p.code, f"{p.code}: {p.name}")
            for p in entity_procedures(company=_company(request_obj))
        ]

    def option_fields(self) -> list[tuple[OceRow, forms.BoundField]]:
        return []  # a procedure has no options

    def grants(self) -> tuple[registration_services.GrantEntry, ...]:
        return tuple(
            registration_services.GrantEntry(code=code)
            for code in self.cleaned_data.get("codes") or ()
        )


class DecisionFields(forms.Form):
    """A representative's decision on a member's request: approve (with the grants form's
    choices), observe (with the items to correct) or reject, with a confirm step."""

    decision = forms.ChoiceField(label="Decisión", choices=(), widget=forms.RadioSelect)
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
    # Given by the grants form it is mixed with (GrantsForm, ProceduresForm).
    approve_label: str
    none_chosen: str

    def __init__(self, *args: Any, request_obj: RegistrationRequest, **kwargs: Any) -> None:
        super().__init__(*args, request_obj=request_obj, **kwargs)  # type: ignore[call-arg]  # the grants form it is mixed with
        self.fields["decision"].choices = [  # type: ignore[attr-defined]
            (Decision.APPROVE.value, self.approve_label),
            (Decision.OBSERVE.value, "Observar (devolver al solicitante para corrección)"),
            (Decision.REJECT.value, "Rechazar"),
        ]
        self.fields["observed_items"].choices = observable_items(request_obj)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        decision = data.get("decision")
        if decision == Decision.APPROVE and not data.get("codes"):
            self.add_error("codes", self.none_chosen)
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


class EmployeeDecisionForm(DecisionFields, GrantsForm):
    pass


class OfficialDecisionForm(DecisionFields, ProceduresForm):
    pass


def grants_form_class(request_obj: RegistrationRequest) -> type[GrantsForm | ProceduresForm]:
    """What the member's kind is granted: OCE codes with options, or VUE procedures."""
    if declaration_for(request_obj.kind).grants == PROCEDURE_GRANTS:
        return ProceduresForm
    return GrantsForm


def decision_form_class(
    request_obj: RegistrationRequest,
) -> type[EmployeeDecisionForm | OfficialDecisionForm]:
    if declaration_for(request_obj.kind).grants == PROCEDURE_GRANTS:
        return OfficialDecisionForm
    return EmployeeDecisionForm


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label="Motivo de la revocación", max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)
