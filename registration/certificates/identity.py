"""The Ecuadorian identity inside a certificate: legacy per-CA extensions, the same values in a
subjectAltName otherName, and the ARCOTEL 2024 subject."""

from __future__ import annotations

import dataclasses
import logging
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from cryptography import x509
from cryptography.x509.oid import NameOID

from registration.certificates.der import DerError, decode_der_string, decode_text, read_tlv
from registration.validators import normalize_digits

logger = logging.getLogger(__name__)

# --- Identity --------------------------------------------------------------------

# Private arcs under which accredited CAs put the legacy identity extensions.
LEGACY_ARCS: dict[str, str] = {
    "1.3.6.1.4.1.37947": "Banco Central del Ecuador",
    "1.3.6.1.4.1.37746": "Security Data",
    "1.3.6.1.4.1.18332": "ANF AC Ecuador",
    "1.3.6.1.4.1.37442": "ANF AC Ecuador",
    "1.3.6.1.4.1.43745.1": "Consejo de la Judicatura",
    "1.3.6.1.4.1.47286.102": "Uanataca",
    "1.3.6.1.4.1.61305": "FirmaSegura",
    "1.3.6.1.4.1.57153.102": "Eclipsoft",
}

# Suffix under the CA arc → field, the same for every CA.
LEGACY_SUFFIXES: dict[str, str] = {
    "3.1": "document",
    "3.2": "given_names",
    "3.3": "first_surname",
    "3.4": "second_surname",
    "3.5": "cargo",
    "3.6": "institution",
    "3.10": "razon_social",
    "3.11": "ruc",
    "3.12": "country",
}

SUBJECT_CEDULA_PREFIX = "IDCEC-"
SUBJECT_PASSPORT_PREFIX = "PASEC-"
SUBJECT_RUC_PREFIX = "VATEC-"

Layout = Literal["legacy", "san", "subject", "none"]


@dataclass(frozen=True)
class CertificateIdentity:
    """Who the certificate says its holder is."""

    cedula: str | None
    passport: str | None
    given_names: str
    surnames: str
    ruc: str | None
    razon_social: str
    cargo: str
    country: str
    ca_name: str
    layout: Layout
    institution: str = ""
    # Certificate policy OIDs, comma-separated: they tell reviewers the CA's certificate type.
    policy: str = ""

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.given_names, self.surnames) if part)

    def to_dict(self) -> dict[str, str | None]:
        return dataclasses.asdict(self)


def _legacy_field(oid: str) -> tuple[str, str] | None:
    """Return (arc, field) when ``oid`` is a known CA arc plus an identity suffix."""
    for arc in LEGACY_ARCS:
        if oid.startswith(arc + "."):
            name = LEGACY_SUFFIXES.get(oid[len(arc) + 1 :])
            if name is not None:
                return arc, name
    return None


def _collect_legacy(
    pairs: Iterable[tuple[str, str]],
) -> tuple[dict[str, str], str | None]:
    """Fields from (OID, text) pairs under a single CA arc, first value wins."""
    values: dict[str, str] = {}
    found_arc: str | None = None
    for oid, text in pairs:
        match = _legacy_field(oid)
        if match is None or (found_arc is not None and match[0] != found_arc):
            continue
        if text:
            found_arc = match[0]
            values.setdefault(match[1], text)
    return values, found_arc


def _read_legacy(cert: x509.Certificate) -> tuple[dict[str, str], str | None]:
    """Identity fields from private extensions, and the arc they were found under."""
    return _collect_legacy(
        (extension.oid.dotted_string, decode_der_string(extension.value.value))
        for extension in cert.extensions
        if isinstance(extension.value, x509.UnrecognizedExtension)
        and _legacy_field(extension.oid.dotted_string) is not None
    )


def _decode_other_name_value(raw: bytes) -> str:
    """An otherName value is a DER string; some CAs wrap it in an OCTET STRING."""
    try:
        tlv = read_tlv(raw)
    except DerError:
        return decode_der_string(raw)
    if tlv.tag == 0x04 and tlv.end == len(raw):
        return decode_der_string(tlv.value)
    return decode_der_string(raw)


def _read_san(cert: x509.Certificate) -> tuple[dict[str, str], str | None]:
    """The same fields from subjectAltName otherNames typed with the legacy OIDs."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return {}, None
    return _collect_legacy(
        (name.type_id.dotted_string, _decode_other_name_value(name.value))
        for name in san.get_values_for_type(x509.OtherName)
        if _legacy_field(name.type_id.dotted_string) is not None
    )


def _attribute_values(name: x509.Name, oid: x509.ObjectIdentifier) -> list[str]:
    values = []
    for attribute in name.get_attributes_for_oid(oid):
        value = attribute.value
        text = value if isinstance(value, str) else decode_text(value)
        if text.strip():
            values.append(text.strip())
    return values


def _first_attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    return next(iter(_attribute_values(name, oid)), "")


def _prefixed(values: Iterable[str], prefix: str) -> str | None:
    for value in values:
        if value.upper().startswith(prefix):
            return value[len(prefix) :].strip() or None
    return None


def _read_subject(cert: x509.Certificate) -> dict[str, str]:
    """Identity fields from the subject (ARCOTEL 2024 layout)."""
    subject = cert.subject
    serials = _attribute_values(subject, NameOID.SERIAL_NUMBER)
    organization_ids = _attribute_values(subject, NameOID.ORGANIZATION_IDENTIFIER)
    values = {
        "cedula": normalize_digits(_prefixed(serials, SUBJECT_CEDULA_PREFIX) or ""),
        "passport": normalize_digits(_prefixed(serials, SUBJECT_PASSPORT_PREFIX) or "").upper(),
        "ruc": normalize_digits(_prefixed(organization_ids, SUBJECT_RUC_PREFIX) or ""),
        "given_names": _first_attribute(subject, NameOID.GIVEN_NAME),
        "surnames": _first_attribute(subject, NameOID.SURNAME),
        "razon_social": _first_attribute(subject, NameOID.ORGANIZATION_NAME),
        "cargo": _first_attribute(subject, NameOID.TITLE),
        "country": _first_attribute(subject, NameOID.COUNTRY_NAME),
    }
    return {key: value for key, value in values.items() if value}


def _split_document(document: str) -> tuple[str | None, str | None]:
    """A legacy ``.3.1`` value is a cédula when it is 10 digits, else a passport."""
    compact = normalize_digits(document).upper()
    if not compact:
        return None, None
    if len(compact) == 10 and compact.isascii() and compact.isdigit():
        return compact, None
    return None, compact


def _issuer_name(cert: x509.Certificate) -> str:
    try:
        issuer = cert.issuer
        return _first_attribute(issuer, NameOID.ORGANIZATION_NAME) or _first_attribute(
            issuer, NameOID.COMMON_NAME
        )
    except Exception:
        return ""


def _legacy_or_empty(cert: x509.Certificate) -> tuple[dict[str, str], str | None]:
    try:
        return _read_legacy(cert)
    except Exception:
        logger.warning("Could not read certificate extensions", exc_info=True)
        return {}, None


def _san_or_empty(cert: x509.Certificate) -> tuple[dict[str, str], str | None]:
    try:
        return _read_san(cert)
    except Exception:
        logger.warning("Could not read certificate subjectAltName", exc_info=True)
        return {}, None


def _policy(cert: x509.Certificate) -> str:
    """Policy OIDs of the CertificatePolicies extension, comma-separated ("" if none)."""
    try:
        policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
        return ",".join(info.policy_identifier.dotted_string for info in policies)
    except x509.ExtensionNotFound:
        return ""
    except Exception:
        logger.warning("Could not read certificate policies", exc_info=True)
        return ""


def _subject_or_empty(cert: x509.Certificate) -> dict[str, str]:
    try:
        return _read_subject(cert)
    except Exception:
        logger.warning("Could not read certificate subject", exc_info=True)
        return {}


def _extension_fields(values: dict[str, str]) -> dict[str, str]:
    """Extension-style values (``document``, two surnames) shaped like the subject's."""
    cedula, passport = _split_document(values.get("document", ""))
    surnames = " ".join(
        part for part in (values.get("first_surname"), values.get("second_surname")) if part
    )
    fields = {
        key: value
        for key, value in values.items()
        if key not in ("document", "first_surname", "second_surname")
    }
    fields.update(cedula=cedula or "", passport=passport or "", surnames=surnames)
    return {key: value for key, value in fields.items() if value}


def _layout(sources: list[tuple[Layout, dict[str, str]]]) -> Layout:
    """The layout that gave the cédula/passport; failing that, the first that gave anything.

    A subject with names but no identity number does not count (Security Data's
    non-identity serialNumber, a CA certificate).
    """
    for layout, values in sources:
        if values.get("cedula") or values.get("passport"):
            return layout
    for layout, values in sources:
        if values and (layout != "subject" or values.get("ruc")):
            return layout
    return "none"


def read_identity(cert: x509.Certificate) -> CertificateIdentity:
    """Read all layouts field by field: legacy extensions, then SAN otherName, then subject."""
    legacy, legacy_arc = _legacy_or_empty(cert)
    san, san_arc = _san_or_empty(cert)
    sources: list[tuple[Layout, dict[str, str]]] = [
        ("legacy", _extension_fields(legacy)),
        ("san", _extension_fields(san)),
        ("subject", _subject_or_empty(cert)),
    ]

    def first(field: str) -> str:
        return next((values[field] for _, values in sources if values.get(field)), "")

    ruc = first("ruc")
    arc = legacy_arc or san_arc
    return CertificateIdentity(
        cedula=first("cedula") or None,
        passport=first("passport") or None,
        given_names=first("given_names"),
        surnames=first("surnames"),
        ruc=normalize_digits(ruc) if ruc else None,
        razon_social=first("razon_social"),
        cargo=first("cargo"),
        country=first("country"),
        ca_name=LEGACY_ARCS[arc] if arc else _issuer_name(cert),
        layout=_layout(sources),
        institution=first("institution"),
        policy=_policy(cert),
    )


def _name_words(name: str) -> list[str]:
    """Upper-case words without accents: «Pérez  Gómez» and «PEREZ GOMEZ» are one name."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return sorted(plain.upper().split())


def person_names_differ(certificate_name: str, form_name: str) -> bool:
    """The holder's name in the certificate is not the form's, ignoring case, accents and order.

    False when the certificate carries no name: there is nothing to compare.
    """
    words = _name_words(certificate_name)
    return bool(words) and words != _name_words(form_name)


def holder_fields(identity: dict[str, str | None]) -> list[tuple[str, str]]:
    """The holder as labelled fields (Spanish labels), from a stored identity, omitting empties."""
    name = " ".join(v for v in (identity.get("given_names"), identity.get("surnames")) if v)
    fields = [
        ("Nombre", name),
        ("Cédula", identity.get("cedula") or ""),
        ("Pasaporte", identity.get("passport") or ""),
        ("Cargo", identity.get("cargo") or ""),
        ("Organización", identity.get("razon_social") or identity.get("institution") or ""),
        ("Identificador de organización", f"RUC {identity['ruc']}" if identity.get("ruc") else ""),
        ("País", identity.get("country") or ""),
    ]
    return [(label, value) for label, value in fields if value]
