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
