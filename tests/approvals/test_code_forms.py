"""Six-digit codes (the TOTP code, the enrolment code, the email code): ASCII digits only."""

from __future__ import annotations

import pytest

from approvals.forms import EnrollmentCodeForm, TokenForm
from registration.forms import EmailCodeForm


@pytest.mark.parametrize("typed", ["123456", " 123 456 ", "\t123456\n"])
def test_the_second_factor_codes_take_six_digits_with_spaces_dropped(typed: str) -> None:
    token = TokenForm({"otp_token": typed})
    enrolment = EnrollmentCodeForm({"enrollment_code": typed})
    assert token.is_valid() and token.cleaned_data["otp_token"] == "123456"
    assert enrolment.is_valid() and enrolment.cleaned_data["enrollment_code"] == "123456"


@pytest.mark.parametrize("typed", ["١٢٣٤٥٦", "²²²²²²", "12345", "1234567", "12345a", "12\x003456"])
def test_codes_in_other_digits_or_of_another_length_are_refused_in_spanish(typed: str) -> None:
    token = TokenForm({"otp_token": typed})
    enrolment = EnrollmentCodeForm({"enrollment_code": typed})
    email = EmailCodeForm({"codigo": typed})
    assert not token.is_valid() and not enrolment.is_valid() and not email.is_valid()
    assert "6 dígitos" in token.errors["otp_token"][0] or "nulos" in token.errors["otp_token"][0]
    assert email.errors["codigo"]


def test_an_empty_code_says_what_to_type() -> None:
    assert TokenForm({"otp_token": ""}).errors["otp_token"] == [
        "Escriba el código que muestra su aplicación."
    ]
    assert EnrollmentCodeForm({"enrollment_code": ""}).errors["enrollment_code"] == [
        "Escriba el código que le enviamos por correo."
    ]
