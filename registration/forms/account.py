"""Login, status lookup, one-time codes, Buscar ID / Reinicio de clave and Mi página."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator

from registration import validators
from registration.forms.fields import REQUIRED, MobileField
from registration.known_device import known_device_for
from registration.models import (
    ID_USUARIO_VALIDATOR,
    User,
)
from registration.services.login import login_failure_record, login_throttled

LOGIN_THROTTLED = (
    "Hubo demasiados intentos fallidos con este ID. usuario en poco tiempo. Espere un minuto "
    "e intente de nuevo."
)


class EmailCodeForm(forms.Form):
    """The six-digit code sent by email."""

    codigo = forms.RegexField(
        label="Código de confirmación",
        regex=r"^\s*[0-9]{6}\s*$",
        max_length=12,
        error_messages={
            "required": "Ingrese el código de 6 dígitos que le enviamos.",
            "invalid": "El código tiene 6 dígitos.",
        },
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "size": 8}
        ),
    )


class LoginForm(AuthenticationForm):
    """ "Iniciar sesión" with ID. usuario and contraseña; one message for any failure."""

    error_messages = {
        "invalid_login": "ID. usuario o contraseña incorrectos.",
        "inactive": "ID. usuario o contraseña incorrectos.",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "ID. usuario"
        self.fields["password"].label = "Contraseña"
        # AuthenticationForm sets max_length after the field is built, so only the HTML had it:
        # enforce it here, before authenticate() (and django-axes) ever sees the text.
        longest = self.fields["username"].max_length  # type: ignore[attr-defined]
        self.fields["username"].validators.append(
            MaxLengthValidator(
                longest, message=f"El ID. usuario tiene como máximo {longest} caracteres."
            )
        )

    def clean(self) -> dict[str, Any]:
        # The per-ID throttle (services/login.py): while it holds, the password isn't checked
        # (nor counted by axes), except from a browser this ID used before.
        username = self.cleaned_data.get("username")
        if username and self.cleaned_data.get("password"):
            known = self.request is not None and known_device_for(self.request, username)
            if not known and login_throttled(username=username):
                raise ValidationError(LOGIN_THROTTLED, code="throttled")
            try:
                return super().clean()
            except ValidationError:
                login_failure_record(username=username)
                raise
        return super().clean()


class StatusLookupForm(forms.Form):
    """Consulta de estado: número de solicitud and Doc. Identificación."""

    tracking_number = forms.CharField(label="Número de solicitud", max_length=20)
    cedula = forms.CharField(label="Doc. Identificación", max_length=20)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.error_messages["required"] = REQUIRED

    def clean_tracking_number(self) -> str:
        return str(self.cleaned_data["tracking_number"]).strip().upper()

    def clean_cedula(self) -> str:
        value = validators.normalize_digits(self.cleaned_data["cedula"])
        if value.isdigit():
            return value
        return validators.normalize_passport(value)  # a General user's passport


# --- Buscar ID / Reinicio de clave ------------------------------------------------


class IdLookupForm(forms.Form):
    """Buscar ID: Doc. Identificación and the registered Correo Electrónico."""

    cedula = forms.CharField(label="Doc. Identificación", max_length=20)
    email = forms.EmailField(
        label="Correo Electrónico",
        max_length=254,
        error_messages={"invalid": "Escriba un correo electrónico válido."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.error_messages["required"] = REQUIRED

    def clean_cedula(self) -> str:
        return validators.validate_document(self.cleaned_data["cedula"])


class PasswordResetRequestForm(forms.Form):
    """Reinicio de clave, first step: the ID. usuario."""

    id_usuario = forms.CharField(
        label="ID. usuario", max_length=20, validators=[ID_USUARIO_VALIDATOR]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["id_usuario"].error_messages["required"] = REQUIRED


def _new_password_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class PasswordResetForm(forms.Form):
    """Reinicio de clave, last step: the three security answers and the new password twice.

    The answers are labelled with the user's own questions; what was typed in them
    is shown again after an error, the passwords are not.
    """

    answer1 = forms.CharField(max_length=100, widget=forms.PasswordInput(render_value=True))
    answer2 = forms.CharField(max_length=100, widget=forms.PasswordInput(render_value=True))
    answer3 = forms.CharField(max_length=100, widget=forms.PasswordInput(render_value=True))
    password = _new_password_field("Nueva contraseña")
    password2 = _new_password_field("Confirmación de Contraseña")

    def __init__(
        self, *args: Any, user: User, questions: tuple[str, str, str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        for name, question in zip(("answer1", "answer2", "answer3"), questions, strict=True):
            self.fields[name].label = question
            self.fields[name].widget.attrs["autocomplete"] = "off"
        for field in self.fields.values():
            field.error_messages["required"] = REQUIRED

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password = data.get("password")
        if password and data.get("password2") and password != data["password2"]:
            self.add_error("password2", "La confirmación no coincide con la contraseña.")
        elif password:
            try:
                password_validation.validate_password(password, self.user)
            except ValidationError as exc:
                self.add_error("password", exc)
        return data


# --- Mi página ----------------------------------------------------------------------


def _current_password_field() -> forms.CharField:
    return forms.CharField(
        label="Contraseña actual",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class AccountPasswordForm(forms.Form):
    """Cambiar contraseña: the current one, and the new one twice (Django's validators)."""

    current_password = _current_password_field()
    new_password = _new_password_field("Contraseña nueva")
    new_password2 = _new_password_field("Confirmación de contraseña nueva")

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        help_texts = password_validation.password_validators_help_texts()
        self.fields["new_password"].help_text = " ".join(help_texts)
        for field in self.fields.values():
            field.error_messages["required"] = REQUIRED

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        current, new = data.get("current_password"), data.get("new_password")
        if new and data.get("new_password2") and new != data["new_password2"]:
            self.add_error("new_password2", "La confirmación no coincide con la contraseña nueva.")
        elif new and new == current:
            self.add_error("new_password", "La contraseña nueva debe ser distinta de la actual.")
        elif new:
            try:
                password_validation.validate_password(new, self.user)
            except ValidationError as exc:
                self.add_error("new_password", exc)
        return data


class AccountEmailForm(forms.Form):
    """Cambiar correo electrónico: the new address (confirmed later by a code) and the password."""

    new_email = forms.EmailField(
        label="Correo Electrónico nuevo",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    current_password = _current_password_field()

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        for field in self.fields.values():
            field.error_messages["required"] = REQUIRED
        self.fields["new_email"].error_messages["invalid"] = (
            "Ingrese un correo electrónico válido, por ejemplo nombre@empresa.com.ec."
        )

    def clean_new_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["new_email"].strip())
        if email.lower() == (self.user.email or "").lower():
            raise ValidationError("Ese ya es su Correo Electrónico.")
        return email


class AccountSmsForm(forms.Form):
    """Preferencia de SMS: "Recibir mensaje SMS" needs a Celular."""

    celular = MobileField(
        label="Celular",
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    recibir_sms = forms.TypedChoiceField(
        label="Recibir mensaje SMS",
        choices=[("1", "Recibir"), ("0", "No recibir")],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.error_messages["required"] = REQUIRED

    @classmethod
    def for_user(cls, user: User, **kwargs: Any) -> AccountSmsForm:
        """The form showing the user's current preference."""
        initial = {
            "celular": validators.format_national(user.celular) if user.celular else "",
            "recibir_sms": "1" if user.recibir_sms else "0",
        }
        return cls(initial=initial, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("recibir_sms") and not data.get("celular") and "celular" not in self.errors:
            self.add_error("celular", "Para recibir mensajes SMS ingrese su Celular.")
        return data
