"""Turning an upload into a certificate, refusing PKCS#12 and private keys (never stored)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from registration.certificates.der import DerError, read_header, read_tlv

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


# --- Loading -------------------------------------------------------------------

_PEM_MARKER = b"-----BEGIN"
_PKCS7_OID_PREFIX = bytes.fromhex("2a864886f70d0107")  # 1.2.840.113549.1.7.*


def _looks_like_pkcs12(data: bytes) -> bool:
    """PFX = SEQUENCE { INTEGER 3, ContentInfo { OID pkcs7-*, … }, … }.

    Only the outer header is read, so a truncated upload is still recognised.
    """
    try:
        tag, _, start = read_header(data, 0)
        if tag != 0x30:
            return False
        version = read_tlv(data, start)
        if version.tag != 0x02 or version.value != b"\x03":
            return False
        content_tag, _, content_start = read_header(data, version.end)
        oid = read_tlv(data, content_start)
    except DerError:
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


@dataclass(frozen=True)
class CertificateBundle:
    """What an upload holds: the holder's certificate and any chain sent with it."""

    leaf: x509.Certificate
    intermediates: tuple[x509.Certificate, ...] = ()


def _bundle(certs: Sequence[x509.Certificate]) -> CertificateBundle:
    leaf = next((cert for cert in certs if not _is_ca(cert)), certs[0])
    return CertificateBundle(leaf=leaf, intermediates=tuple(c for c in certs if c is not leaf))


def _load_pem(data: bytes) -> CertificateBundle:
    if b"PRIVATE KEY" in data:
        raise CertificateFileError(MESSAGE_PRIVATE_KEY, "private_key")
    certs = x509.load_pem_x509_certificates(data)
    if not certs:
        raise CertificateFileError(MESSAGE_INVALID)
    return _bundle(certs)


def _load_der(data: bytes) -> CertificateBundle:
    if _looks_like_pkcs12(data):
        raise CertificateFileError(MESSAGE_PKCS12, "pkcs12")
    try:
        return CertificateBundle(leaf=x509.load_der_x509_certificate(data))
    except ValueError:
        pass
    if _opens_as_pkcs12(data):
        raise CertificateFileError(MESSAGE_PKCS12, "pkcs12")
    if _opens_as_private_key(data):
        raise CertificateFileError(MESSAGE_PRIVATE_KEY, "private_key")
    raise CertificateFileError(MESSAGE_INVALID)


def load_certificate(data: bytes, *, max_size: int = DEFAULT_MAX_SIZE) -> x509.Certificate:
    """Parse an uploaded public certificate (DER or PEM) or raise CertificateFileError."""
    return load_certificate_bundle(data, max_size=max_size).leaf


def load_certificate_bundle(data: bytes, *, max_size: int = DEFAULT_MAX_SIZE) -> CertificateBundle:
    """Parse an upload into the holder's certificate plus the chain it carries."""
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
