"""Identity numbers and phones: what applicants may type and what they are told."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from registration.validators import (
    RUC_CHECK_DIGIT_WARNING,
    RucCheck,
    normalize_digits,
    normalize_landline,
    normalize_mobile,
    ruc_matches_cedula,
    validate_cedula,
    validate_ruc,
)


def _message(error: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(error.value.messages)


# --- normalize_digits ---------------------------------------------------------


def test_normalize_digits_strips_spaces_dashes_and_dots() -> None:
    assert normalize_digits(" 17.1430-7103 ") == "1714307103"


# --- Cédula -------------------------------------------------------------------


@pytest.mark.parametrize("value", ["1714307103", "171430710-3", " 1714307103 ", "0926687856"])
def test_valid_cedula_is_returned_compact(value: str) -> None:
    assert validate_cedula(value) == normalize_digits(value)


def test_cedula_registered_abroad_province_30_is_accepted() -> None:
    assert validate_cedula("3012345678") == "3012345678"


def test_cedula_province_50_is_tolerated() -> None:
    assert validate_cedula("5012345673") == "5012345673"


def test_cedula_third_digit_6_is_accepted_for_foreigners() -> None:
    assert validate_cedula("1765432107") == "1765432107"


@pytest.mark.parametrize("value", ["171430710", "17143071030", ""])
def test_cedula_with_wrong_length_is_rejected(value: str) -> None:
    with pytest.raises(ValidationError) as error:
        validate_cedula(value)
    assert _message(error) == "La cédula debe tener 10 dígitos."


def test_cedula_with_letters_is_rejected() -> None:
    with pytest.raises(ValidationError) as error:
        validate_cedula("17143O7103")
    assert "solo puede contener números" in _message(error)


@pytest.mark.parametrize("value", ["2512345675", "0012345674"])
def test_cedula_with_unknown_province_is_rejected(value: str) -> None:
    with pytest.raises(ValidationError) as error:
        validate_cedula(value)
    assert error.value.code == "cedula_province"
    assert f"código de provincia ({value[:2]})" in _message(error)


def test_cedula_with_third_digit_above_6_is_rejected() -> None:
    with pytest.raises(ValidationError) as error:
        validate_cedula("1794307103")
    assert "tercer dígito" in _message(error)


def test_cedula_with_wrong_check_digit_is_rejected() -> None:
    with pytest.raises(ValidationError) as error:
        validate_cedula("1714307104")
    assert _message(error) == "La cédula no es válida: el dígito verificador no coincide."


# --- RUC ----------------------------------------------------------------------


def test_natural_person_ruc_is_accepted() -> None:
    assert validate_ruc("1714307103001") == RucCheck("1714307103001", "natural", ())


def test_ruc_with_separators_is_normalised() -> None:
    assert validate_ruc("1714307103-001").number == "1714307103001"


def test_public_entity_ruc_is_accepted() -> None:
    assert validate_ruc("1760001550001") == RucCheck("1760001550001", "publica", ())


def test_private_company_ruc_is_accepted() -> None:
    assert validate_ruc("1790011674001") == RucCheck("1790011674001", "privada", ())


def test_real_company_ruc_failing_mod11_is_accepted_with_a_warning() -> None:
    check = validate_ruc("1793213150001")
    assert check.kind == "privada"
    assert check.warnings == (RUC_CHECK_DIGIT_WARNING,)


def test_public_ruc_failing_mod11_is_accepted_with_a_warning() -> None:
    check = validate_ruc("1760001540001")
    assert check.kind == "publica"
    assert RUC_CHECK_DIGIT_WARNING in check.warnings


def test_third_digit_6_ruc_of_a_foreigners_cedula_is_natural() -> None:
    assert validate_ruc("1765432107001").kind == "natural"


@pytest.mark.parametrize("value", ["1774307103001", "1784307103001"])
def test_ruc_with_third_digit_7_or_8_is_rejected(value: str) -> None:
    with pytest.raises(ValidationError) as error:
        validate_ruc(value)
    assert error.value.code == "ruc_third_digit"


@pytest.mark.parametrize("value", ["1714307103000", "1790011674000"])
def test_ruc_with_establishment_000_is_rejected(value: str) -> None:
    with pytest.raises(ValidationError) as error:
        validate_ruc(value)
    assert "establecimiento no puede ser 000" in _message(error)


def test_public_ruc_with_establishment_0000_is_rejected() -> None:
    with pytest.raises(ValidationError) as error:
        validate_ruc("1760001550000")
    assert error.value.code == "ruc_establishment"


def test_natural_ruc_with_invalid_cedula_part_is_rejected() -> None:
    with pytest.raises(ValidationError) as error:
        validate_ruc("1714307104001")
    assert error.value.code == "ruc_cedula"
    assert "dígito verificador de la cédula" in _message(error)


@pytest.mark.parametrize("value", ["171430710300", "17143071030011", ""])
def test_ruc_with_wrong_length_is_rejected(value: str) -> None:
    with pytest.raises(ValidationError) as error:
        validate_ruc(value)
    assert _message(error) == "El RUC debe tener 13 dígitos."


def test_ruc_with_unknown_province_is_rejected() -> None:
    with pytest.raises(ValidationError) as error:
        validate_ruc("2590011674001")
    assert error.value.code == "ruc_province"


def test_natural_ruc_with_unusual_establishment_warns() -> None:
    check = validate_ruc("1714307103002")
    assert check.kind == "natural"
    assert any("001" in warning for warning in check.warnings)


def test_ruc_matches_its_cedula() -> None:
    assert ruc_matches_cedula("1714307103001", "1714307103")
    assert ruc_matches_cedula("1714307103-001", "171430710-3")


@pytest.mark.parametrize(
    ("ruc", "cedula"),
    [
        ("1790011674001", "1714307103"),
        ("0926687856001", "1714307103"),
        ("1714307103000", "1714307103"),
        ("1714307103", "1714307103"),
    ],
)
def test_ruc_does_not_match_other_cedula(ruc: str, cedula: str) -> None:
    assert not ruc_matches_cedula(ruc, cedula)


# --- Phones -------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["022345678", "02-234-5678", "(02) 234 5678", "+593 2 234 5678", "+59322345678"],
)
def test_landline_is_stored_in_e164(value: str) -> None:
    assert normalize_landline(value) == "+59322345678"


def test_landline_from_another_province_is_accepted() -> None:
    assert normalize_landline("07 212 3456") == "+59372123456"


@pytest.mark.parametrize("value", ["0991234567", "+593 99 123 4567"])
def test_mobile_is_refused_as_landline(value: str) -> None:
    with pytest.raises(ValidationError) as error:
        normalize_landline(value)
    assert error.value.code == "phone_kind"
    assert "celular" in _message(error)


@pytest.mark.parametrize("value", ["2345678", "0812345678", "02 CALL NOW", "", "abc"])
def test_malformed_landline_is_refused(value: str) -> None:
    with pytest.raises(ValidationError) as error:
        normalize_landline(value)
    assert "02 a 07" in _message(error)


@pytest.mark.parametrize(
    "value", ["0991234567", "099 123 4567", "+593 99 123 4567", "+593991234567"]
)
def test_mobile_is_stored_in_e164(value: str) -> None:
    assert normalize_mobile(value) == "+593991234567"


def test_landline_is_refused_as_mobile() -> None:
    with pytest.raises(ValidationError) as error:
        normalize_mobile("022345678")
    assert error.value.code == "phone_kind"
    assert "teléfono fijo" in _message(error)


@pytest.mark.parametrize("value", ["099123456", "09912345678", "0812345678", ""])
def test_malformed_mobile_is_refused(value: str) -> None:
    with pytest.raises(ValidationError) as error:
        normalize_mobile(value)
    assert "09" in _message(error)


@pytest.mark.parametrize("function", [normalize_landline, normalize_mobile])
def test_foreign_number_is_refused(function: object) -> None:
    assert callable(function)
    with pytest.raises(ValidationError) as error:
        function("+1 202 555 0100")
    assert error.value.code == "phone_country"
