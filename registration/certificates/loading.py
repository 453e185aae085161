"""Turning an upload into a certificate, refusing PKCS#12 and private keys (never stored).

Accepted: one certificate in DER or PEM, a PEM bundle (holder plus chain, any
order) and a PKCS#7 certificate bag (.p7b, DER or PEM). The upload must hold
exactly one end-entity certificate, the holder's; CA certificates ride along
as chain candidates.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12

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
MESSAGE_CA_CERTIFICATE = (
    "El archivo contiene el certificado de una autoridad de certificación, no el suyo. "
    "Suba su certificado personal (.cer)."
)
MESSAGE_SEVERAL_LEAVES = "El archivo contiene varios certificados personales; suba solo el suyo."
MESSAGE_TOO_MANY = (
    "El archivo contiene demasiados certificados ({count}; máximo {limit}). "
    "Suba su certificado personal (.cer) y, si lo desea, la cadena de su autoridad de "
    "certificación."
)

# A holder's certificate plus a long chain is at most four or five; ten is generous.
MAX_CERTIFICATES = 10


class CertificateFileError(ValueError):
    """An upload that is not a usable public certificate; ``message`` is for the user."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


# --- Loading -------------------------------------------------------------------

_PEM_MARKER = b"-----BEGIN"
_PKCS7_OID_PREFIX = bytes.fromhex("2a864886f70d0107")  # 1.2.840.113549.1.7.*
_PEM_BEGIN = re.compile(rb"-----BEGIN ([A-Z0-9 #]{1,40})-----")
_CERTIFICATE_LABELS = frozenset({"CERTIFICATE", "X509 CERTIFICATE"})
_PKCS7_LABELS = frozenset({"PKCS7", "CMS", "PKCS #7 SIGNED DATA"})


def pem_blocks(data: bytes) -> list[tuple[str, bytes]]:
    """The (label, DER bytes) of each PEM block; ValueError on bad base64 or a missing END.

    RFC 1421 header lines ("Proc-Type: …") inside a block are skipped, and text
    around the blocks (such as OpenSSL's "Bag Attributes") is ignored. One pass
    over the data, so hostile uploads full of BEGIN lines stay cheap.
    """
    blocks = []
    position = 0
    while (begin := _PEM_BEGIN.search(data, position)) is not None:
        label = begin.group(1)
        end_marker = b"-----END " + label + b"-----"
        end = data.find(end_marker, begin.end())
        if end < 0:
            raise ValueError("PEM block without END line")
        lines = [line.strip() for line in data[begin.end() : end].splitlines()]
        text = b"".join(line for line in lines if b":" not in line)
        try:
            der = base64.b64decode(text, validate=True)
        except binascii.Error as error:
            raise ValueError("bad base64 in PEM block") from error
        blocks.append((label.decode("ascii"), der))
        position = end + len(end_marker)
    return blocks


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


def _looks_like_pkcs7(data: bytes) -> bool:
    """ContentInfo = SEQUENCE { OID pkcs7-*, [0] … }: a .p7b bag or a CMS signature."""
    try:
        tag, _, start = read_header(data, 0)
        oid = read_tlv(data, start)
    except DerError:
        return False
    return tag == 0x30 and oid.tag == 0x06 and oid.value.startswith(_PKCS7_OID_PREFIX)


def can_sign_certificates(cert: x509.Certificate) -> bool:
    """basicConstraints cA=TRUE or keyUsage keyCertSign: never a person's signing certificate.

    One rule for the loader's CA test and the chain's ``chain.leaf_is_ca`` finding
    (RFC 5280 §4.2.1.3: keyCertSign without cA is itself an error, so it counts as CA).
    Raises ValueError on unreadable extensions.
    """
    extensions = cert.extensions
    try:
        if extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            return True
    except x509.ExtensionNotFound:
        pass
    try:
        return extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    except x509.ExtensionNotFound:
        return False


def _is_ca(cert: x509.Certificate) -> bool:
    """A CA if it can sign certificates; without basic constraints, if self-issued (old roots)."""
    try:
        if can_sign_certificates(cert):
            return True
        try:
            cert.extensions.get_extension_for_class(x509.BasicConstraints)
        except x509.ExtensionNotFound:
            return cert.subject == cert.issuer
        return False
    except Exception:
        return False  # unreadable extensions: left to the checks, which report them


@dataclass(frozen=True)
class CertificateBundle:
    """What an upload holds: the holder's certificate and any chain sent with it."""

    leaf: x509.Certificate
    intermediates: tuple[x509.Certificate, ...] = ()


def _bundle(certs: Sequence[x509.Certificate]) -> CertificateBundle:
    """Exactly one end-entity certificate (the holder's) plus at most a few CA certificates."""
    unique: list[x509.Certificate] = []
    for cert in certs:
        if cert not in unique:  # a chain tool may repeat a certificate
            unique.append(cert)
    if not unique:
        raise CertificateFileError(MESSAGE_INVALID)
    if len(unique) > MAX_CERTIFICATES:
        message = MESSAGE_TOO_MANY.format(count=len(unique), limit=MAX_CERTIFICATES)
        raise CertificateFileError(message, "too_many")
    leaves = [cert for cert in unique if not _is_ca(cert)]
    if not leaves:
        raise CertificateFileError(MESSAGE_CA_CERTIFICATE, "ca_certificate")
    if len(leaves) > 1:
        raise CertificateFileError(MESSAGE_SEVERAL_LEAVES, "several_leaves")
    leaf = leaves[0]
    return CertificateBundle(leaf=leaf, intermediates=tuple(c for c in unique if c is not leaf))


def _load_pem(data: bytes) -> CertificateBundle:
    if b"PRIVATE KEY" in data:
        raise CertificateFileError(MESSAGE_PRIVATE_KEY, "private_key")
    certs: list[x509.Certificate] = []
    for label, der in pem_blocks(data):
        if label in _CERTIFICATE_LABELS:
            certs.append(x509.load_der_x509_certificate(der))
        elif label in _PKCS7_LABELS:
            certs.extend(pkcs7.load_der_pkcs7_certificates(der))
        # Other blocks (a CRL, a request) carry nothing we keep.
    return _bundle(certs)


def _load_der(data: bytes) -> CertificateBundle:
    if _looks_like_pkcs12(data):
        raise CertificateFileError(MESSAGE_PKCS12, "pkcs12")
    if _looks_like_pkcs7(data):
        return _bundle(pkcs7.load_der_pkcs7_certificates(data))
    try:
        cert = x509.load_der_x509_certificate(data)
    except ValueError:
        pass
    else:
        return _bundle([cert])
    if _opens_as_pkcs12(data):
        raise CertificateFileError(MESSAGE_PKCS12, "pkcs12")
    if _opens_as_private_key(data):
        raise CertificateFileError(MESSAGE_PRIVATE_KEY, "private_key")
    raise CertificateFileError(MESSAGE_INVALID)


def load_certificate(data: bytes, *, max_size: int = DEFAULT_MAX_SIZE) -> x509.Certificate:
    """Parse an upload and return the holder's certificate, or raise CertificateFileError."""
    return load_certificate_bundle(data, max_size=max_size).leaf


def load_certificate_bundle(data: bytes, *, max_size: int = DEFAULT_MAX_SIZE) -> CertificateBundle:
    """Parse an upload into the holder's certificate plus the chain it carries.

    Raises CertificateFileError (and nothing else) with a Spanish ``message`` and a
    ``code``: empty, too_large, pkcs12, private_key, invalid, ca_certificate,
    several_leaves or too_many.
    """
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
