"""A demonstration PKI: a CA and leaf certificates shaped like Ecuadorian signing certificates.

Used by the test suite and by `manage.py demo_certificate`, so that someone
trying the product can register without a real certificate. Nothing it makes
is trusted anywhere: the demo CA says so in its name.

Leaves carry the holder's identity in the legacy private-extension layout, the
ARCOTEL 2024 subject layout, or both (see DOMAIN.md, "Digital certificates").
EC P-256 keys keep it fast.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

BCE_ARC = "1.3.6.1.4.1.37947"
SECURITY_DATA_ARC = "1.3.6.1.4.1.37746"
CONSEJO_JUDICATURA_ARC = "1.3.6.1.4.1.43745.1"

DEFAULT_CEDULA = "1714307103"
DEFAULT_RUC = "1714307103001"  # natural-person RUC of DEFAULT_CEDULA
COMPANY_RUC = "1790011674001"  # private company, valid mod-11 check digit

CertificateAndKey = tuple[x509.Certificate, ec.EllipticCurvePrivateKey]
LeafLayout = Literal["legacy", "subject", "both"]
LegacyEncoding = Literal["utf8", "printable", "raw"]

_STRING_TAGS = {"utf8": 0x0C, "printable": 0x13}


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def der_string(text: str, encoding: LegacyEncoding = "utf8") -> bytes:
    """Encode ``text`` as a DER string (or raw bytes for ``raw``), as CAs do."""
    value = text.encode("utf-8")
    if encoding == "raw":
        return value
    length = len(value)
    if length < 0x80:
        header = bytes([length])
    else:
        size = length.to_bytes((length.bit_length() + 7) // 8, "big")
        header = bytes([0x80 | len(size)]) + size
    return bytes([_STRING_TAGS[encoding]]) + header + value


def make_ca(name: str = "CA de pruebas") -> CertificateAndKey:
    """A self-signed CA certificate valid from yesterday for ten years."""
    key = _new_key()
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "EC"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _split_surnames(surnames: str) -> tuple[str, str]:
    first, _, second = surnames.partition(" ")
    return first, second


def _legacy_extensions(
    arc: str, values: dict[str, str | None], encoding: LegacyEncoding
) -> list[x509.UnrecognizedExtension]:
    return [
        x509.UnrecognizedExtension(
            x509.ObjectIdentifier(f"{arc}.{suffix}"), der_string(value, encoding)
        )
        for suffix, value in values.items()
        if value
    ]


def _subject(
    *,
    common_name: str,
    country: str,
    layout: LeafLayout,
    identity_serial: str | None,
    ruc: str | None,
    given_names: str,
    surnames: str,
    razon_social: str,
    cargo: str,
) -> x509.Name:
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, country),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ]
    if identity_serial:
        attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, identity_serial))
    if layout != "legacy":
        optional = [
            (NameOID.GIVEN_NAME, given_names),
            (NameOID.SURNAME, surnames),
            (NameOID.ORGANIZATION_NAME, razon_social),
            (NameOID.TITLE, cargo),
            (NameOID.ORGANIZATION_IDENTIFIER, f"VATEC-{ruc}" if ruc else ""),
        ]
        attributes.extend(x509.NameAttribute(oid, value) for oid, value in optional if value)
    return x509.Name(attributes)


def _subject_serial(
    layout: LeafLayout, cedula: str | None, passport: str | None, override: str | None
) -> str | None:
    if override is not None:
        return override
    if layout == "legacy":
        return None
    if cedula:
        return f"IDCEC-{cedula}"
    return f"PASEC-{passport}" if passport else None


def make_leaf(
    ca: CertificateAndKey,
    *,
    cedula: str | None = DEFAULT_CEDULA,
    passport: str | None = None,
    ruc: str | None = DEFAULT_RUC,
    given_names: str = "JUAN CARLOS",
    surnames: str = "PÉREZ GÓMEZ",
    razon_social: str = "PÉREZ GÓMEZ JUAN CARLOS",
    cargo: str = "GERENTE GENERAL",
    country: str = "EC",
    layout: LeafLayout = "legacy",
    arc: str = BCE_ARC,
    subject_serial_number: str | None = None,
    legacy_encoding: LegacyEncoding = "utf8",
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> CertificateAndKey:
    """A signing certificate issued by ``ca`` for the given holder.

    ``subject_serial_number`` overrides the subject serialNumber (for example a
    Security Data non-identity number); otherwise the subject layout writes
    IDCEC-<cédula> or PASEC-<passport>.
    """
    ca_cert, ca_key = ca
    key = _new_key()
    now = datetime.now(UTC)
    first_surname, second_surname = _split_surnames(surnames)
    subject = _subject(
        common_name=f"{given_names} {surnames}".strip(),
        country=country,
        layout=layout,
        identity_serial=_subject_serial(layout, cedula, passport, subject_serial_number),
        ruc=ruc,
        given_names=given_names,
        surnames=surnames,
        razon_social=razon_social,
        cargo=cargo,
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - timedelta(days=1))
        .not_valid_after(not_after or now + timedelta(days=730))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
    )
    if layout != "subject":
        legacy_values = {
            "3.1": cedula or passport,
            "3.2": given_names,
            "3.3": first_surname,
            "3.4": second_surname,
            "3.5": cargo,
            "3.10": razon_social,
            "3.11": ruc,
            "3.12": "ECUADOR" if country == "EC" else country,
        }
        for extension in _legacy_extensions(arc, legacy_values, legacy_encoding):
            builder = builder.add_extension(extension, critical=False)
    return builder.sign(ca_key, hashes.SHA256()), key


def to_der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def to_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def make_pkcs12(
    cert: x509.Certificate, key: ec.EllipticCurvePrivateKey, password: bytes | None = b"x"
) -> bytes:
    """A .p12/.pfx holding ``key`` and ``cert``; no password means unencrypted."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return pkcs12.serialize_key_and_certificates(b"firma", key, cert, None, encryption)


def private_key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
