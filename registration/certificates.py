"""Reading an uploaded X.509 certificate and the Ecuadorian identity inside it.

Pure functions: no I/O and no database. ``load_certificate`` turns an upload
into a certificate or a ``CertificateFileError`` with a Spanish message (it
refuses PKCS#12 containers and private keys, which must never be stored).
``read_identity`` reads both identity layouts described in DOMAIN.md
("Digital certificates"). ``verify_certificate`` runs a list of independent
checks, each returning findings, so that chain-of-trust and revocation checks
can be added later as more check objects.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from registration.validators import normalize_digits, ruc_matches_cedula

logger = logging.getLogger(__name__)

DEFAULT_MAX_SIZE = 64 * 1024

MESSAGE_EMPTY = "El archivo está vacío. Suba su certificado público (.cer o .crt)."
MESSAGE_TOO_LARGE = (
    "El archivo es demasiado grande ({size} KB; máximo {limit} KB). "
    "Suba solo su certificado público (.cer o .crt)."
)
MESSAGE_PKCS12 = (
    "El archivo es un contenedor PKCS#12 (.p12 o .pfx), que incluye su clave privada. "
    "No lo suba: exporte y suba solo su certificado público (.cer o .crt). "
    "Su clave privada nunca debe compartirse."
)
MESSAGE_PRIVATE_KEY = (
    "El archivo contiene una clave privada. No la suba: suba solo su certificado "
    "público (.cer o .crt). Su clave privada nunca debe compartirse."
)
MESSAGE_INVALID = "El archivo no es un certificado X.509 válido (DER o PEM)."


class CertificateFileError(ValueError):
    """An upload that is not a usable public certificate; ``message`` is for the user."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


# --- Minimal DER reader ------------------------------------------------------


class _DerError(ValueError):
    pass


@dataclass(frozen=True)
class _Tlv:
    tag: int
    value: bytes
    end: int  # offset just after this element in the buffer it was read from


def _read_header(data: bytes, offset: int) -> tuple[int, int, int]:
    """Return (tag, length, offset of the value) of the DER element at ``offset``."""
    if offset + 2 > len(data):
        raise _DerError("short header")
    tag, first = data[offset], data[offset + 1]
    if tag & 0x1F == 0x1F:
        raise _DerError("high tag numbers are not used here")
    start = offset + 2
    if first < 0x80:
        return tag, first, start
    size = first & 0x7F
    if size == 0 or size > 4 or start + size > len(data):
        raise _DerError("unsupported length")
    return tag, int.from_bytes(data[start : start + size], "big"), start + size


def _read_tlv(data: bytes, offset: int = 0) -> _Tlv:
    tag, length, start = _read_header(data, offset)
    end = start + length
    if end > len(data):
        raise _DerError("truncated value")
    return _Tlv(tag=tag, value=data[start:end], end=end)


# Text string tags read as UTF-8 (falling back to Latin-1: CAs are not always
# strict about PrintableString/IA5String), and the two wide encodings.
_TEXT_TAGS = frozenset(
    {
        0x0C,  # UTF8String
        0x12,  # NumericString
        0x13,  # PrintableString
        0x14,  # TeletexString (T61)
        0x16,  # IA5String
        0x1A,  # VisibleString
    }
)
_WIDE_CODECS: dict[int, str] = {0x1C: "utf-32-be", 0x1E: "utf-16-be"}


def _decode_text(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return "".join(char for char in text if char.isprintable()).strip()


def decode_der_string(raw: bytes) -> str:
    """Decode a DER string value; a value that is not one is read as raw UTF-8 text."""
    try:
        tlv = _read_tlv(raw)
    except _DerError:
        return _decode_text(raw)
    if tlv.end != len(raw):
        return _decode_text(raw)
    if tlv.tag in _TEXT_TAGS:
        return _decode_text(tlv.value)
    if tlv.tag in _WIDE_CODECS:
        try:
            return tlv.value.decode(_WIDE_CODECS[tlv.tag]).strip()
        except UnicodeDecodeError:
            return ""
    return _decode_text(raw)


# --- Loading -------------------------------------------------------------------

_PEM_MARKER = b"-----BEGIN"
_PKCS7_OID_PREFIX = bytes.fromhex("2a864886f70d0107")  # 1.2.840.113549.1.7.*


def _looks_like_pkcs12(data: bytes) -> bool:
    """PFX = SEQUENCE { INTEGER 3, ContentInfo { OID pkcs7-*, … }, … }.

    Only the outer header is read, so a truncated upload is still recognised.
    """
    try:
        tag, _, start = _read_header(data, 0)
        if tag != 0x30:
            return False
        version = _read_tlv(data, start)
        if version.tag != 0x02 or version.value != b"\x03":
            return False
        content_tag, _, content_start = _read_header(data, version.end)
        oid = _read_tlv(data, content_start)
    except _DerError:
        return False
    return content_tag == 0x30 and oid.tag == 0x06 and oid.value.startswith(_PKCS7_OID_PREFIX)


def _opens_as_pkcs12(data: bytes) -> bool:
    """Ask cryptography; an encrypted PKCS#12 fails with a password error."""
    try:
        pkcs12.load_key_and_certificates(data, None)
    except ValueError as error:
        return "password" in str(error).lower()
    except Exception:
        return False
    return True


def _opens_as_private_key(data: bytes) -> bool:
    try:
        serialization.load_der_private_key(data, None)
    except TypeError:
        return True  # "password was not given but private key is encrypted"
    except Exception:
        return False
    return True


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except Exception:
        return False


def _first_end_entity(certs: Sequence[x509.Certificate]) -> x509.Certificate:
    return next((cert for cert in certs if not _is_ca(cert)), certs[0])


def _load_pem(data: bytes) -> x509.Certificate:
    if b"PRIVATE KEY" in data:
        raise CertificateFileError(MESSAGE_PRIVATE_KEY, "private_key")
    certs = x509.load_pem_x509_certificates(data)
    if not certs:
        raise CertificateFileError(MESSAGE_INVALID)
    return _first_end_entity(certs)


def _load_der(data: bytes) -> x509.Certificate:
    if _looks_like_pkcs12(data):
        raise CertificateFileError(MESSAGE_PKCS12, "pkcs12")
    try:
        return x509.load_der_x509_certificate(data)
    except ValueError:
        pass
    if _opens_as_pkcs12(data):
        raise CertificateFileError(MESSAGE_PKCS12, "pkcs12")
    if _opens_as_private_key(data):
        raise CertificateFileError(MESSAGE_PRIVATE_KEY, "private_key")
    raise CertificateFileError(MESSAGE_INVALID)


def load_certificate(data: bytes, *, max_size: int = DEFAULT_MAX_SIZE) -> x509.Certificate:
    """Parse an uploaded public certificate (DER or PEM) or raise CertificateFileError."""
    if not data:
        raise CertificateFileError(MESSAGE_EMPTY, "empty")
    if len(data) > max_size:
        message = MESSAGE_TOO_LARGE.format(size=-(-len(data) // 1024), limit=max_size // 1024)
        raise CertificateFileError(message, "too_large")
    try:
        return _load_pem(data) if _PEM_MARKER in data else _load_der(data)
    except CertificateFileError:
        raise
    except Exception:
        # Parsers can fail in many ways on hostile input; none may crash a worker.
        raise CertificateFileError(MESSAGE_INVALID) from None


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

Layout = Literal["legacy", "subject", "none"]


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


def _read_legacy(cert: x509.Certificate) -> tuple[dict[str, str], str | None]:
    """Identity fields from private extensions, and the arc they were found under."""
    values: dict[str, str] = {}
    found_arc: str | None = None
    for extension in cert.extensions:
        if not isinstance(extension.value, x509.UnrecognizedExtension):
            continue
        match = _legacy_field(extension.oid.dotted_string)
        if match is None or (found_arc is not None and match[0] != found_arc):
            continue
        text = decode_der_string(extension.value.value)
        if text:
            found_arc = match[0]
            values.setdefault(match[1], text)
    return values, found_arc


def _attribute_values(name: x509.Name, oid: x509.ObjectIdentifier) -> list[str]:
    values = []
    for attribute in name.get_attributes_for_oid(oid):
        value = attribute.value
        text = value if isinstance(value, str) else _decode_text(value)
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


def _subject_or_empty(cert: x509.Certificate) -> dict[str, str]:
    try:
        return _read_subject(cert)
    except Exception:
        logger.warning("Could not read certificate subject", exc_info=True)
        return {}


def read_identity(cert: x509.Certificate) -> CertificateIdentity:
    """Read both layouts, preferring the legacy extensions field by field."""
    legacy, arc = _legacy_or_empty(cert)
    subject = _subject_or_empty(cert)
    legacy_cedula, legacy_passport = _split_document(legacy.get("document", ""))
    legacy_surnames = " ".join(
        part for part in (legacy.get("first_surname"), legacy.get("second_surname")) if part
    )
    ruc = legacy.get("ruc") or subject.get("ruc")
    layout: Layout = "none"
    if legacy:
        layout = "legacy"
    elif any(key in subject for key in ("cedula", "passport", "ruc")):
        layout = "subject"
    return CertificateIdentity(
        cedula=legacy_cedula or subject.get("cedula"),
        passport=legacy_passport or subject.get("passport"),
        given_names=legacy.get("given_names") or subject.get("given_names", ""),
        surnames=legacy_surnames or subject.get("surnames", ""),
        ruc=normalize_digits(ruc) if ruc else None,
        razon_social=legacy.get("razon_social") or subject.get("razon_social", ""),
        cargo=legacy.get("cargo") or subject.get("cargo", ""),
        country=legacy.get("country") or subject.get("country", ""),
        ca_name=LEGACY_ARCS[arc] if arc else _issuer_name(cert),
        layout=layout,
        institution=legacy.get("institution", ""),
    )


# --- Verification ------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One outcome of a check; ``message`` is Spanish and shown to people."""

    code: str
    message: str
    ok: bool

    def to_dict(self) -> dict[str, str | bool]:
        return {"code": self.code, "message": self.message, "ok": self.ok}


@dataclass(frozen=True)
class VerificationContext:
    """What the certificate is checked against: the form's data and the moment."""

    expected_cedula: str
    expected_ruc: str
    at: datetime

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("VerificationContext.at must be timezone-aware")
        object.__setattr__(self, "at", self.at.astimezone(UTC))


class CertificateCheck(Protocol):
    """One independent verification step."""

    def run(self, cert: x509.Certificate, context: VerificationContext) -> list[Finding]: ...


def _format_moment(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%d/%m/%Y %H:%M UTC")


class ValidityWindowCheck:
    """The certificate is within its validity period at ``context.at``."""

    def run(self, cert: x509.Certificate, context: VerificationContext) -> list[Finding]:
        not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
        if context.at < not_before:
            starts = _format_moment(not_before)
            message = f"El certificado aún no es válido: su vigencia empieza el {starts}."
            return [Finding("validity.not_yet_valid", message, ok=False)]
        if context.at > not_after:
            message = f"El certificado venció el {_format_moment(not_after)}."
            return [Finding("validity.expired", message, ok=False)]
        message = f"El certificado está vigente hasta el {_format_moment(not_after)}."
        return [Finding("validity.ok", message, ok=True)]


def _normalize_document(value: str) -> str:
    return normalize_digits(value).upper()


class IdentityMatchCheck:
    """The certificate's cédula and RUC are the ones on the form."""

    def run(self, cert: x509.Certificate, context: VerificationContext) -> list[Finding]:
        identity = read_identity(cert)
        findings = [self._document(identity, _normalize_document(context.expected_cedula))]
        expected_ruc = normalize_digits(context.expected_ruc)
        if expected_ruc:
            findings.append(self._ruc(identity, expected_ruc))
        return findings

    def _document(self, identity: CertificateIdentity, expected: str) -> Finding:
        if identity.cedula:
            label, value = "La cédula", identity.cedula
        elif identity.passport:
            label, value = "El pasaporte", identity.passport
        else:
            message = "El certificado no contiene la cédula del titular."
            return Finding("identity.cedula_missing", message, ok=False)
        if value == expected:
            message = f"{label} del certificado coincide con la Doc. Identificación del formulario."
            return Finding("identity.cedula_ok", message, ok=True)
        message = (
            f"{label} del certificado ({value}) no coincide con la Doc. Identificación "
            f"del formulario ({expected})."
        )
        return Finding("identity.cedula_mismatch", message, ok=False)

    def _ruc(self, identity: CertificateIdentity, expected: str) -> Finding:
        if identity.ruc:
            if identity.ruc == expected:
                message = "El RUC del certificado coincide con el RUC empresa del formulario."
                return Finding("identity.ruc_ok", message, ok=True)
            message = (
                f"El RUC del certificado ({identity.ruc}) no coincide con el RUC empresa "
                f"del formulario ({expected})."
            )
            return Finding("identity.ruc_mismatch", message, ok=False)
        if identity.cedula and ruc_matches_cedula(expected, identity.cedula):
            message = (
                "El RUC empresa del formulario corresponde a la cédula del certificado "
                "(persona natural)."
            )
            return Finding("identity.ruc_ok", message, ok=True)
        if identity.cedula:
            message = (
                f"El certificado no contiene RUC y el RUC empresa del formulario ({expected}) "
                f"no corresponde a la cédula del certificado ({identity.cedula})."
            )
        else:
            message = (
                f"El certificado no contiene RUC ni cédula que correspondan al RUC empresa "
                f"del formulario ({expected})."
            )
        return Finding("identity.ruc_mismatch", message, ok=False)


def default_checks() -> list[CertificateCheck]:
    """The checks ``verify_certificate`` runs when none are given."""
    # ChainOfTrustCheck (issuer chain to a root in the administrator's trust store)
    # and RevocationCheck (CRL/OCSP from the certificate, cached, configurable
    # soft-fail) slot in here as further CertificateCheck objects; they need I/O
    # and configuration, so they are built by the caller and passed in.
    return [ValidityWindowCheck(), IdentityMatchCheck()]


@dataclass(frozen=True)
class VerificationResult:
    """Outcome of verifying one upload; ``valid`` only when every finding is ok."""

    valid: bool
    findings: list[Finding]
    identity: CertificateIdentity | None
    subject: str = ""
    issuer: str = ""
    serial_number: str = ""
    sha256_fingerprint: str = ""
    not_before: datetime | None = None
    not_after: datetime | None = None

    @property
    def reasons(self) -> list[str]:
        """Spanish messages of the failed findings, for the applicant or reviewer."""
        return [finding.message for finding in self.findings if not finding.ok]

    def to_dict(self) -> dict[str, object]:
        return {
            "valid": self.valid,
            "reasons": self.reasons,
            "findings": [finding.to_dict() for finding in self.findings],
            "identity": self.identity.to_dict() if self.identity else None,
            "subject": self.subject,
            "issuer": self.issuer,
            "serial_number": self.serial_number,
            "sha256_fingerprint": self.sha256_fingerprint,
            "not_before": self.not_before.isoformat() if self.not_before else None,
            "not_after": self.not_after.isoformat() if self.not_after else None,
        }


def _name_text(cert: x509.Certificate, which: Literal["subject", "issuer"]) -> str:
    try:
        name = cert.subject if which == "subject" else cert.issuer
        return name.rfc4514_string()
    except Exception:
        logger.warning("Could not render certificate %s", which, exc_info=True)
        return ""


def _serial_hex(cert: x509.Certificate) -> str:
    """Lowercase hex without prefix; with the issuer and fingerprint it binds the user."""
    try:
        return format(cert.serial_number, "x")
    except Exception:  # a non-positive serial may raise in stricter cryptography versions
        logger.warning("Could not read certificate serial number", exc_info=True)
        return ""


def _run_checks(
    cert: x509.Certificate, context: VerificationContext, checks: Sequence[CertificateCheck]
) -> list[Finding]:
    findings: list[Finding] = []
    for check in checks:
        try:
            findings.extend(check.run(cert, context))
        except Exception:
            # A check that breaks on odd input fails closed instead of crashing.
            logger.exception("Certificate check %s failed", type(check).__name__)
            message = "No se pudo completar una de las verificaciones del certificado."
            findings.append(Finding(f"{type(check).__name__}.error", message, ok=False))
    return findings


def verify_certificate(
    data: bytes,
    *,
    expected_cedula: str,
    expected_ruc: str,
    at: datetime | None = None,
    checks: Sequence[CertificateCheck] | None = None,
    max_size: int = DEFAULT_MAX_SIZE,
) -> VerificationResult:
    """Load an upload and run the checks against the form's cédula and RUC."""
    context = VerificationContext(
        expected_cedula=expected_cedula,
        expected_ruc=expected_ruc,
        at=at if at is not None else datetime.now(UTC),
    )
    try:
        cert = load_certificate(data, max_size=max_size)
    except CertificateFileError as error:
        finding = Finding("file", error.message, ok=False)
        return VerificationResult(valid=False, findings=[finding], identity=None)
    findings = _run_checks(cert, context, default_checks() if checks is None else checks)
    return VerificationResult(
        valid=all(finding.ok for finding in findings),
        findings=findings,
        identity=read_identity(cert),
        subject=_name_text(cert, "subject"),
        issuer=_name_text(cert, "issuer"),
        serial_number=_serial_hex(cert),
        sha256_fingerprint=cert.fingerprint(hashes.SHA256()).hex(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
    )
