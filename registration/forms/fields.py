"""Field types and helpers the applicant forms share."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from registration import certificates, validators
from registration.models import (
    Canton,
)

REQUIRED = "Este campo es obligatorio."
# The largest id PostgreSQL's bigint holds: a posted id past it is refused, not sent to the ORM.
MAX_ID = 2**63 - 1
INVALID_ID = "La selección no es válida. Vuelva a cargar la página e inténtelo de nuevo."


class IdField(forms.Field):
    """A positive whole number typed in ASCII digits (0-9), from 1 to `max_value`.

    Unlike `str.isdigit()` + `int()`, it refuses '²' or '٣', signs, spaces inside and
    numbers past bigint, with a Spanish message; a NUL byte never reaches the ORM.
    """

    default_error_messages = {"invalid": INVALID_ID}

    def __init__(self, *, max_value: int = MAX_ID, **kwargs: Any) -> None:
        self.max_value = max_value
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        text = str(value).strip()
        if not (text.isascii() and text.isdigit()) or len(text) > len(str(self.max_value)):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        number = int(text)
        if not 1 <= number <= self.max_value:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return number


class IdListField(forms.Field):
    """Zero or more ids posted under one name (checkboxes such as "Eliminar"), each an IdField;
    at most `max_items` of them."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid": INVALID_ID}

    def __init__(self, *, max_items: int = 100, **kwargs: Any) -> None:
        self.max_items = max_items
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[int]:
        if value in self.empty_values:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        if len(values) > self.max_items:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        item = IdField(error_messages={"invalid": self.error_messages["invalid"]})
        ids = [item.clean(v) for v in values if v not in self.empty_values]
        return list(dict.fromkeys(ids))


class StagedDeleteForm(forms.Form):
    """ "Eliminar" in the table of files loaded before Registrar: the ticked rows."""

    ids = IdListField(
        error_messages={
            "invalid": "No se pudo eliminar: la selección de archivos no es válida. "
            "Vuelva a cargar la página y marque de nuevo los archivos."
        }
    )


class StagedRemovalForm(forms.Form):
    """The files ticked for removal when the whole form is sent (without JavaScript)."""

    remove_staged = IdListField(
        error_messages={
            "invalid": "No se quitó ningún archivo: la selección no es válida. Vuelva a marcar "
            "los archivos que quiere quitar; sus datos y los demás archivos se conservan."
        }
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleCertificateField(forms.FileField):
    """Zero or more certificate files; each is checked as it arrives."""

    widget = MultipleFileInput

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": ".cer,.crt,.pem,.der,.p7b,.p7c"})
        )
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [super(MultipleCertificateField, self).clean(f, initial) for f in files]


def read_certificate_upload(upload: UploadedFile) -> bytes:
    """The file's bytes, if it is a public certificate we accept; else a Spanish error."""
    limit = settings.CERTIFICATE_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            f"El archivo «{upload.name}» pesa {upload.size / 1024:.1f} KB; "
            f"el máximo es {limit / 1024:.0f} KB."
        )
    content = upload.read()
    try:
        certificates.load_certificate(content, max_size=limit)
    except certificates.CertificateFileError as exc:
        raise ValidationError(f"«{upload.name}»: {exc}") from exc
    return content


class LandlineField(forms.CharField):
    def clean(self, value: Any) -> str:
        raw = super().clean(value)
        return validators.normalize_landline(raw) if raw else ""


class MobileField(forms.CharField):
    def clean(self, value: Any) -> str:
        raw = super().clean(value)
        return validators.normalize_mobile(raw) if raw else ""


def cantones_by_province() -> list[tuple[str, list[tuple[str, str]]]]:
    groups: dict[str, list[tuple[str, str]]] = {}
    for code, name, province in Canton.objects.order_by("province__name", "name").values_list(
        "code", "name", "province__name"
    ):
        groups.setdefault(province, []).append((code, name))
    return list(groups.items())
