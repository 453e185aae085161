"""The error summary at the top of a long form: every error, each a link to its field."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms, template

register = template.Library()


@dataclass(frozen=True)
class SummaryError:
    """One line of the summary; `href` is "" when the error belongs to no field."""

    href: str
    label: str
    message: str


def _field_anchor(bound: forms.BoundField) -> str:
    if bound.is_hidden:
        return ""
    # A radio group has no single id: point at its first choice.
    field_id = bound.id_for_label or (f"{bound.auto_id}_0" if bound.auto_id else "")
    return f"#{field_id}" if field_id else ""


def _form_errors(
    form: forms.BaseForm, names: list[str] | None = None, suffix: str = ""
) -> list[SummaryError]:
    """The errors of `names` (default: every field and the form's own), in field order."""
    errors: list[SummaryError] = []
    if names is None:
        errors.extend(
            SummaryError("", suffix.strip(" ()"), str(m)) for m in form.non_field_errors()
        )
        names = list(form.fields)
    for name in names:
        if name not in form.fields or name not in form.errors:
            continue
        bound = form[name]
        label = f"{bound.label}{suffix}"
        errors.extend(SummaryError(_field_anchor(bound), label, str(m)) for m in bound.errors)
    return errors


@register.simple_tag
def error_summary(
    form: forms.BaseForm | None, *formsets: Any, after: str = ""
) -> list[SummaryError]:
    """Every error in page order: the form's fields, each formset's rows, then the fields
    named in `after` (comma-separated), which the page shows below the formsets."""
    if form is None or not form.is_bound:
        return []
    trailing = [name for name in after.split(",") if name]
    leading = [name for name in form.fields if name not in trailing]
    errors = [
        *[SummaryError("", "", str(m)) for m in form.non_field_errors()],
        *_form_errors(form, leading),
    ]
    for formset in formsets:
        if not getattr(formset, "is_bound", False):  # none on this page (or not posted)
            continue
        # Rows left blank are not shown (JavaScript drops them) and have no errors.
        shown = [f for f in formset.forms if f.has_changed() or f.errors]
        for number, row in enumerate(shown, start=1):
            errors.extend(_form_errors(row, suffix=f" (fila {number})"))
        errors.extend(
            SummaryError(f"#{formset.prefix}-rows", "Tipo de OCEs", str(m))
            for m in formset.non_form_errors()
        )
    errors.extend(_form_errors(form, trailing))
    return errors
