"""Validation of Ecuadorian identity numbers (cédula, RUC) and phone numbers.

The hard rules come from python-stdnum (``stdnum.ec.ci`` and ``stdnum.ec.ruc``);
this module adds specific Spanish messages for applicants and the project's
policy for company RUCs: SRI no longer issues company and public-entity RUCs
with a mod-11 check digit, so a check-digit failure on those is a warning that
the certificate match settles later, never a rejection (see DOMAIN.md,
"Identity numbers").

Phone numbers are parsed with ``phonenumbers`` (region EC) and returned in
E.164. The number plan rule (landline ``0[2-7]`` + 7 digits, mobile ``09`` +
8 digits) is applied to the national number; phonenumbers' own allocation
metadata is not required to agree, because it lags behind real allocations and
would lock out real applicants.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import phonenumbers
from django.core.exceptions import ValidationError
from stdnum.ec import ci as stdnum_ci
from stdnum.ec import ruc as stdnum_ruc
from stdnum.exceptions import InvalidChecksum
from stdnum.exceptions import ValidationError as StdnumValidationError

CEDULA_LENGTH = 10
RUC_LENGTH = 13

# Province codes in the first two digits: 01–24, 30 (registered abroad).
PROVINCE_CODES = frozenset(f"{code:02d}" for code in range(1, 25)) | {"30"}
# Not documented as a province but seen in real numbers and accepted by stdnum.
TOLERATED_PROVINCE_CODES = frozenset({"50"})

RUC_CHECK_DIGIT_WARNING = (
    "El dígito verificador del RUC no coincide; se verificará con el certificado digital."
)
RUC_ESTABLISHMENT_WARNING = (
    "El RUC normalmente termina en {expected}; verifique el número de establecimiento."
)

_SEPARATORS = re.compile(r"[\s.\-]")
_ASCII_DIGITS = re.compile(r"[0-9]+")
_PHONE_CHARACTERS = re.compile(r"[0-9+\s().\-]+")
_LANDLINE_NATIONAL = re.compile(r"[2-7][0-9]{7}")
_MOBILE_NATIONAL = re.compile(r"9[0-9]{8}")
_ECUADOR_COUNTRY_CODE = 593

RucKind = Literal["natural", "publica", "privada"]


# --- Identity numbers ------------------------------------------------------


def normalize_digits(value: str) -> str:
    """Strip spaces, dashes and dots, which people type as separators."""
    return _SEPARATORS.sub("", value or "")


def _is_ascii_digits(value: str) -> bool:
    return _ASCII_DIGITS.fullmatch(value) is not None


def _has_non_digits(value: str) -> bool:
    return bool(value) and not _is_ascii_digits(value)


def _province_ok(number: str) -> bool:
    return number[:2] in PROVINCE_CODES or number[:2] in TOLERATED_PROVINCE_CODES


def _province_message(prefix: str, number: str) -> str:
    return (
        f"{prefix}: el código de provincia ({number[:2]}) debe estar entre 01 y 24, "
        "o ser 30 para personas registradas en el exterior."
    )


PASSPORT_PATTERN = re.compile(r"^[A-Z0-9]{5,20}$")


def normalize_passport(value: str) -> str:
    """A passport number as stored: spaces and dashes dropped, in capitals."""
    return re.sub(r"[\s-]", "", value or "").upper()


def validate_passport(value: str) -> str:
    """A passport number: 5 to 20 letters and digits, spaces and dashes dropped, in capitals.

    Only the format can be checked: each country numbers its own passports.
    """
    number = normalize_passport(value)
    if not PASSPORT_PATTERN.fullmatch(number):
        raise ValidationError(
            "El número de pasaporte debe tener de 5 a 20 letras o números, sin otros signos.",
            code="passport_format",
        )
    return number


def validate_document(value: str) -> str:
    """A Doc. Identificación as typed where either may come: a cédula (digits) or a passport."""
    digits = normalize_digits(value or "")
    if digits.strip().isdigit():
        return validate_cedula(digits)
    return validate_passport(value)


def validate_cedula(value: str) -> str:
    """Return the 10-digit cédula or raise ValidationError with a Spanish message."""
    number = normalize_digits(value)
    if _has_non_digits(number):
        raise ValidationError("La cédula solo puede contener números.", code="cedula_format")
    if len(number) != CEDULA_LENGTH:
        raise ValidationError("La cédula debe tener 10 dígitos.", code="cedula_length")
    if not _province_ok(number):
        message = _province_message("La cédula no es válida", number)
        raise ValidationError(message, code="cedula_province")
    if number[2] > "6":
        raise ValidationError(
            "La cédula no es válida: el tercer dígito debe estar entre 0 y 6.",
            code="cedula_third_digit",
        )
    try:
        return str(stdnum_ci.validate(number))
    except InvalidChecksum:
        raise ValidationError(
            "La cédula no es válida: el dígito verificador no coincide.", code="cedula_checksum"
        ) from None
    except StdnumValidationError:
        raise ValidationError("La cédula no es válida.", code="cedula_invalid") from None


@dataclass(frozen=True)
class RucCheck:
    """A RUC that passed the hard rules, its kind, and any warnings to show."""

    number: str
    kind: RucKind
    warnings: tuple[str, ...] = ()


def _mod11_ok(digits: str, weights: tuple[int, ...]) -> bool:
    """Mod-11 check: weighted sum of the digits, check digit right after them."""
    total = sum(weight * int(digit) for weight, digit in zip(weights, digits, strict=False))
    remainder = total % 11
    expected = 0 if remainder == 0 else 11 - remainder
    return expected < 10 and int(digits[len(weights)]) == expected


_PUBLIC_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)
_PRIVATE_WEIGHTS = (4, 3, 2, 7, 6, 5, 4, 3, 2)


def _ruc_error(message: str, code: str) -> ValidationError:
    return ValidationError(f"El RUC no es válido: {message}", code=code)


def _establishment_warning(establishment: str, expected: str) -> tuple[str, ...]:
    if establishment == expected:
        return ()
    return (RUC_ESTABLISHMENT_WARNING.format(expected=expected),)


def _natural_ruc(number: str) -> RucCheck:
    if number[10:] == "000":
        raise _ruc_error("el número de establecimiento no puede ser 000.", "ruc_establishment")
    try:
        validate_cedula(number[:10])
    except ValidationError as error:
        if error.code == "cedula_checksum":
            message = "el dígito verificador de la cédula (10 primeros dígitos) no coincide."
        else:
            message = "los 10 primeros dígitos deben ser una cédula válida."
        raise _ruc_error(message, "ruc_cedula") from None
    return RucCheck(number, "natural", _establishment_warning(number[10:], "001"))


def _public_ruc(number: str) -> RucCheck:
    # A third digit 6 is also possible in a foreigner's cédula, so a number that
    # stdnum accepts but whose public check digit fails is a natural-person RUC.
    if stdnum_ruc.is_valid(number) and not _mod11_ok(number[:9], _PUBLIC_WEIGHTS):
        return _natural_ruc(number)
    if number[9:] == "0000":
        raise _ruc_error("el número de establecimiento no puede ser 0000.", "ruc_establishment")
    warnings = _establishment_warning(number[9:], "0001")
    if not stdnum_ruc.is_valid(number):
        warnings = (RUC_CHECK_DIGIT_WARNING, *warnings)
    return RucCheck(number, "publica", warnings)


def _private_ruc(number: str) -> RucCheck:
    if number[10:] == "000":
        raise _ruc_error("el número de establecimiento no puede ser 000.", "ruc_establishment")
    warnings = _establishment_warning(number[10:], "001")
    if not stdnum_ruc.is_valid(number):
        warnings = (RUC_CHECK_DIGIT_WARNING, *warnings)
    return RucCheck(number, "privada", warnings)


def validate_ruc(value: str) -> RucCheck:
    """Check a RUC; hard-rule failures raise, a company check-digit failure warns."""
    number = normalize_digits(value)
    if _has_non_digits(number):
        raise ValidationError("El RUC solo puede contener números.", code="ruc_format")
    if len(number) != RUC_LENGTH:
        raise ValidationError("El RUC debe tener 13 dígitos.", code="ruc_length")
    if not _province_ok(number):
        raise ValidationError(_province_message("El RUC no es válido", number), code="ruc_province")
    third = number[2]
    if third in "012345":
        return _natural_ruc(number)
    if third == "6":
        return _public_ruc(number)
    if third == "9":
        return _private_ruc(number)
    raise _ruc_error(
        "el tercer dígito debe ser 0 a 5 (persona natural), 6 (entidad pública) "
        "o 9 (sociedad privada).",
        "ruc_third_digit",
    )


def ruc_matches_cedula(ruc: str, cedula: str) -> bool:
    """True when ``ruc`` is the natural-person RUC of ``cedula`` (cédula + establishment)."""
    ruc_digits = normalize_digits(ruc)
    cedula_digits = normalize_digits(cedula)
    return (
        len(ruc_digits) == RUC_LENGTH
        and len(cedula_digits) == CEDULA_LENGTH
        and _is_ascii_digits(ruc_digits)
        and ruc_digits[:CEDULA_LENGTH] == cedula_digits
        and ruc_digits[CEDULA_LENGTH:] != "000"
    )


# --- Phones ----------------------------------------------------------------


def _parse_ecuador_phone(value: str, invalid_message: str) -> tuple[str, str]:
    """Return (national significant number, E.164) of an Ecuadorian phone."""
    text = (value or "").strip()
    if not text or _PHONE_CHARACTERS.fullmatch(text) is None:
        raise ValidationError(invalid_message, code="phone_invalid")
    try:
        parsed = phonenumbers.parse(text, "EC")
    except phonenumbers.NumberParseException:
        raise ValidationError(invalid_message, code="phone_invalid") from None
    if parsed.country_code != _ECUADOR_COUNTRY_CODE:
        raise ValidationError("Ingrese un número de Ecuador (+593).", code="phone_country")
    national = phonenumbers.national_significant_number(parsed)
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return national, e164


def normalize_landline(value: str) -> str:
    """Return a landline (or fax) number in E.164; accepts 0[2-7] + 7 digits or +593 forms."""
    invalid = (
        "El teléfono fijo debe tener el código de provincia (02 a 07) seguido de 7 dígitos, "
        "por ejemplo 02 234 5678."
    )
    national, e164 = _parse_ecuador_phone(value, invalid)
    if _MOBILE_NATIONAL.fullmatch(national):
        raise ValidationError(
            "Ingrese un teléfono fijo: el número ingresado es un celular.", code="phone_kind"
        )
    if not _LANDLINE_NATIONAL.fullmatch(national):
        raise ValidationError(invalid, code="phone_invalid")
    return e164


def normalize_mobile(value: str) -> str:
    """Return a mobile number in E.164; accepts 09 + 8 digits or +593 9… forms."""
    invalid = "El celular debe empezar con 09 y tener 10 dígitos, por ejemplo 099 123 4567."
    national, e164 = _parse_ecuador_phone(value, invalid)
    if _LANDLINE_NATIONAL.fullmatch(national):
        raise ValidationError(
            "Ingrese un celular: el número ingresado es un teléfono fijo.", code="phone_kind"
        )
    if not _MOBILE_NATIONAL.fullmatch(national):
        raise ValidationError(invalid, code="phone_invalid")
    return e164


def format_national(e164: str) -> str:
    """+59322345678 → 022345678: how applicants type Ecuadorian numbers."""
    return "0" + e164[4:] if e164.startswith("+593") else e164
