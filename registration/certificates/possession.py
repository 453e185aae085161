"""Proof of possession: the applicant signs a one-time challenge with the certificate's private key.

A public certificate proves nothing by itself. The applicant signs the
challenge text (``challenge_text``) with their usual tool (FirmaEC, or the
``openssl_command`` line) and uploads the CMS/PKCS#7 signature, detached
(.p7s) or with the text inside (.p7m). ``verify_possession`` checks that the
signature was made by ``certificate``'s key over exactly that text. It never
raises: every outcome is a ``PossessionResult`` with a Spanish message.

Pure functions: issuing, storing and expiring nonces is the caller's job.
"""

from __future__ import annotations

import contextlib
import logging
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from asn1crypto import algos, cms, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from registration.certificates.loading import pem_blocks

logger = logging.getLogger(__name__)

MAX_SIGNATURE_SIZE = 256 * 1024
# The name "Descargar reto" gives the file, and the one the signing command reads.
CHALLENGE_FILENAME = "reto-ecuapass.txt"
SIGNATURE_FILENAME = "reto.p7s"

CODE_OK = "possession.ok"
CODE_INVALID_FILE = "possession.invalid_file"
CODE_WRONG_SIGNER = "possession.wrong_signer"
CODE_WRONG_CONTENT = "possession.wrong_content"
CODE_BAD_SIGNATURE = "possession.bad_signature"
CODE_WEAK_DIGEST = "possession.weak_digest"
CODE_UNSUPPORTED_ALGORITHM = "possession.unsupported_algorithm"

MESSAGE_OK = "La firma es válida: usted demostró que posee la clave privada de su certificado."
MESSAGE_EMPTY = (
    "El archivo de firma está vacío. Suba la firma del reto (.p7s) que generó con FirmaEC "
    "u OpenSSL."
)
MESSAGE_TOO_LARGE = (
    "El archivo de firma es demasiado grande ({size} KB; máximo {limit} KB). "
    "Suba solo la firma del reto (.p7s)."
)
MESSAGE_INVALID = (
    "El archivo no es una firma CMS/PKCS#7 válida (.p7s o .p7m, en DER o PEM). "
    "Firme el reto con FirmaEC u OpenSSL y suba el archivo de firma que se generó."
)
MESSAGE_WRONG_SIGNER = (
    "La firma fue hecha con otro certificado, no con el que usted subió. "
    "Firme el reto con la clave privada de ese mismo certificado."
)
MESSAGE_WRONG_CONTENT = (
    "La firma corresponde a otro texto, no al reto de esta solicitud. "
    "Descargue el reto vigente y fírmelo sin modificarlo."
)
MESSAGE_BAD_SIGNATURE = (
    "La firma no es válida: no fue hecha con la clave privada del certificado que usted "
    "subió, o el reto firmado fue modificado."
)
MESSAGE_WEAK_DIGEST = (
    "La firma usa el algoritmo de resumen {name}, que ya no se considera seguro. "
    "Firme de nuevo con SHA-256 (o SHA-384 o SHA-512)."
)
MESSAGE_UNSUPPORTED = (
    "La firma usa un algoritmo que no se admite ({name}). "
    "Use una firma RSA o ECDSA con SHA-256, SHA-384 o SHA-512."
)

_DIGESTS: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
_WEAK_DIGESTS = frozenset({"md2", "md5", "sha1", "sha224"})
_PEM_LABELS = frozenset({"CMS", "PKCS7", "PKCS #7 SIGNED DATA"})
# Signer infos looked at; a real signature has one.
_MAX_SIGNERS = 10


@dataclass(frozen=True)
class PossessionResult:
    """Outcome of checking a challenge signature; ``message`` is Spanish and shown to people."""

    ok: bool
    message: str
    code: str

    def to_dict(self) -> dict[str, str | bool]:
        return {"ok": self.ok, "message": self.message, "code": self.code}


class _Refusal(Exception):
    """Internal: stop checking with this result."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code)
        self.result = PossessionResult(ok=False, message=message, code=code)


# --- The challenge -----------------------------------------------------------------


# Applicants read times in Ecuador's (mainland) time, as every page shows them.
ECUADOR = ZoneInfo("America/Guayaquil")


def expiry_label(expires_at: datetime) -> str:
    """When a challenge expires, as both the signed text and the page say it."""
    if expires_at.tzinfo is None:
        raise ValueError("expires_at must be timezone-aware")
    local = expires_at.astimezone(ECUADOR)
    offset = local.utcoffset()
    hours = int(offset.total_seconds() // 3600) if offset is not None else 0
    return f"{local:%d/%m/%Y %H:%M} (hora de Ecuador, UTC{hours:+d})"


def challenge_text(*, tracking_or_form_id: str, nonce: str, expires_at: datetime) -> str:
    """The exact text the applicant signs (offer it UTF-8 encoded, as ``CHALLENGE_FILENAME``)."""
    if expires_at.tzinfo is None:
        raise ValueError("expires_at must be timezone-aware")
    for value in (tracking_or_form_id, nonce):
        if not value or not value.isprintable():
            raise ValueError("challenge values must be non-empty single-line text")
    return (
        "ECUAPASS - Solicitud del uso\n"
        f"Solicitud: {tracking_or_form_id}\n"
        f"Reto: {nonce}\n"
        f"Válido hasta: {expiry_label(expires_at)}\n"
    )


def openssl_command(cert_filename: str = "certificado.pem", key_filename: str = "clave.pem") -> str:
    """The command line that signs ``CHALLENGE_FILENAME`` into a detached DER ``reto.p7s``."""
    return shlex.join(
        [
            "openssl",
            "cms",
            "-sign",
            "-binary",
            "-md",
            "sha256",
            "-in",
            CHALLENGE_FILENAME,
            "-signer",
            cert_filename,
            "-inkey",
            key_filename,
            "-outform",
            "DER",
            "-out",
            SIGNATURE_FILENAME,
        ]
    )


# --- Verification ------------------------------------------------------------------


def _content_variants(challenge: bytes) -> list[bytes]:
    """The challenge as given and with CRLF line ends.

    ``openssl cms -sign`` without ``-binary`` (and S/MIME tools generally) sign
    the text in canonical form, with CRLF line ends; it is the same text.
    """
    canonical = challenge.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return [challenge] if canonical == challenge else [challenge, canonical]


def _decode(signature: bytes) -> bytes:
    """DER bytes of the upload, from DER or PEM (CMS / PKCS7 labels)."""
    if b"-----BEGIN" not in signature:
        return signature
    try:
        blocks = pem_blocks(signature)
    except ValueError:
        raise _Refusal(CODE_INVALID_FILE, MESSAGE_INVALID) from None
    for label, der in blocks:
        if label in _PEM_LABELS:
            return der
    raise _Refusal(CODE_INVALID_FILE, MESSAGE_INVALID)


def _signed_data(der: bytes) -> cms.SignedData:
    info = cms.ContentInfo.load(der, strict=True)
    if info["content_type"].native != "signed_data":
        raise _Refusal(CODE_INVALID_FILE, MESSAGE_INVALID)
    signed = info["content"]
    if not isinstance(signed, cms.SignedData):
        raise _Refusal(CODE_INVALID_FILE, MESSAGE_INVALID)
    return signed


def _embedded_content(signed: cms.SignedData) -> bytes | None:
    """The signed text when it travels inside the signature (.p7m), else None."""
    encap = signed["encap_content_info"]
    if encap["content_type"].native != "data":
        raise _Refusal(CODE_INVALID_FILE, MESSAGE_INVALID)
    content = encap["content"]
    if isinstance(content, core.Void):
        return None
    value = content.native
    if not isinstance(value, bytes):
        raise _Refusal(CODE_INVALID_FILE, MESSAGE_INVALID)
    return value


def _key_identifiers(cert: x509.Certificate) -> set[bytes]:
    """The certificate's subjectKeyIdentifier, and the RFC 5280 one computed from its key."""
    identifiers = set()
    # Absent, unparseable or of an unknown key type: then that identifier cannot match.
    with contextlib.suppress(Exception):
        extension = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
        identifiers.add(extension.value.digest)
    with contextlib.suppress(Exception):
        identifiers.add(x509.SubjectKeyIdentifier.from_public_key(cert.public_key()).digest)
    return identifiers


def _identifies(sid: cms.SignerIdentifier, cert: x509.Certificate) -> bool:
    """Whether the SignerInfo's signer identifier names ``cert``."""
    if sid.name == "issuer_and_serial_number":
        ours = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
        theirs = sid.chosen
        return bool(
            theirs["serial_number"].native == ours.serial_number and theirs["issuer"] == ours.issuer
        )
    if sid.name == "subject_key_identifier":
        return sid.chosen.native in _key_identifiers(cert)
    return False


def _digest_name(signer_info: cms.SignerInfo) -> str:
    """The SignerInfo's digest algorithm, refused unless SHA-256/384/512."""
    name = signer_info["digest_algorithm"]["algorithm"].native
    signature_algorithm = signer_info["signature_algorithm"]
    try:
        # sha1_rsa, sha256_ecdsa, rsassa_pss… name a digest too; it must agree.
        declared = signature_algorithm.hash_algo
    except ValueError:  # rsaEncryption, ecdsa: the digest is only in digest_algorithm
        declared = name
    for candidate in (name, declared):
        if candidate in _WEAK_DIGESTS:
            label = candidate.upper().replace("SHA", "SHA-")
            raise _Refusal(CODE_WEAK_DIGEST, MESSAGE_WEAK_DIGEST.format(name=label))
        if candidate not in _DIGESTS:
            raise _Refusal(CODE_UNSUPPORTED_ALGORITHM, MESSAGE_UNSUPPORTED.format(name=candidate))
    if declared != name:
        raise _Refusal(CODE_INVALID_FILE, MESSAGE_INVALID)
    return str(name)


def _digest(name: str, data: bytes) -> bytes:
    hasher = hashes.Hash(_DIGESTS[name]())
    hasher.update(data)
    return hasher.finalize()


def _pss_padding(signature_algorithm: algos.SignedDigestAlgorithm) -> padding.PSS:
    params = signature_algorithm["parameters"]
    mask = params["mask_gen_algorithm"]
    if mask["algorithm"].native != "mgf1":
        raise _Refusal(CODE_UNSUPPORTED_ALGORITHM, MESSAGE_UNSUPPORTED.format(name="RSA-PSS"))
    mgf_digest = mask["parameters"]["algorithm"].native
    if mgf_digest not in _DIGESTS:
        raise _Refusal(CODE_WEAK_DIGEST, MESSAGE_WEAK_DIGEST.format(name=str(mgf_digest)))
    salt_length = params["salt_length"].native
    if not isinstance(salt_length, int) or salt_length < 0:
        raise _Refusal(CODE_INVALID_FILE, MESSAGE_INVALID)
    return padding.PSS(mgf=padding.MGF1(_DIGESTS[mgf_digest]()), salt_length=salt_length)


def _signature_verifies(
    cert: x509.Certificate, signer_info: cms.SignerInfo, digest_name: str, data: bytes
) -> bool:
    """Whether the SignerInfo's signature over ``data`` verifies with the certificate's key."""
    signature_algorithm = signer_info["signature_algorithm"]
    try:
        kind = signature_algorithm.signature_algo
    except ValueError:
        name = signature_algorithm["algorithm"].dotted
        raise _Refusal(CODE_UNSUPPORTED_ALGORITHM, MESSAGE_UNSUPPORTED.format(name=name)) from None
    signature = signer_info["signature"].native
    digest = _DIGESTS[digest_name]()
    public_key = cert.public_key()
    try:
        if isinstance(public_key, rsa.RSAPublicKey) and kind == "rsassa_pkcs1v15":
            public_key.verify(signature, data, padding.PKCS1v15(), digest)
        elif isinstance(public_key, rsa.RSAPublicKey) and kind == "rsassa_pss":
            public_key.verify(signature, data, _pss_padding(signature_algorithm), digest)
        elif isinstance(public_key, ec.EllipticCurvePublicKey) and kind == "ecdsa":
            public_key.verify(signature, data, ec.ECDSA(digest))
        elif isinstance(public_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
            return False  # an algorithm this certificate's key cannot have made
        else:
            name = type(public_key).__name__
            raise _Refusal(CODE_UNSUPPORTED_ALGORITHM, MESSAGE_UNSUPPORTED.format(name=name))
    except InvalidSignature:
        return False
    return True


def _single_attribute_value(attributes: cms.CMSAttributes, kind: str) -> object:
    """The one value of the attribute ``kind``; None if absent, refusal if repeated."""
    values = [attribute["values"] for attribute in attributes if attribute["type"].native == kind]
    if not values:
        return None
    if len(values) > 1 or len(values[0]) != 1:
        raise _Refusal(CODE_INVALID_FILE, MESSAGE_INVALID)
    return values[0][0].native


def _check_signer(
    cert: x509.Certificate, signer_info: cms.SignerInfo, contents: Sequence[bytes]
) -> PossessionResult:
    digest_name = _digest_name(signer_info)
    signed_attrs = signer_info["signed_attrs"]
    if isinstance(signed_attrs, core.Void):
        # No signed attributes: the signature is over the content itself.
        if any(_signature_verifies(cert, signer_info, digest_name, c) for c in contents):
            return PossessionResult(ok=True, message=MESSAGE_OK, code=CODE_OK)
        return PossessionResult(ok=False, message=MESSAGE_BAD_SIGNATURE, code=CODE_BAD_SIGNATURE)
    content_type = _single_attribute_value(signed_attrs, "content_type")
    if content_type is not None and content_type != "data":
        raise _Refusal(CODE_INVALID_FILE, MESSAGE_INVALID)
    message_digest = _single_attribute_value(signed_attrs, "message_digest")
    if not isinstance(message_digest, bytes):
        raise _Refusal(CODE_INVALID_FILE, MESSAGE_INVALID)
    if not any(_digest(digest_name, content) == message_digest for content in contents):
        return PossessionResult(ok=False, message=MESSAGE_WRONG_CONTENT, code=CODE_WRONG_CONTENT)
    # The signature covers the DER of the attributes, re-tagged as a SET OF.
    if _signature_verifies(cert, signer_info, digest_name, signed_attrs.untag().dump()):
        return PossessionResult(ok=True, message=MESSAGE_OK, code=CODE_OK)
    return PossessionResult(ok=False, message=MESSAGE_BAD_SIGNATURE, code=CODE_BAD_SIGNATURE)


def _verify(signature: bytes, challenge: bytes, certificate: x509.Certificate) -> PossessionResult:
    signed = _signed_data(_decode(signature))
    variants = _content_variants(challenge)
    embedded = _embedded_content(signed)
    if embedded is not None and embedded not in variants:
        return PossessionResult(ok=False, message=MESSAGE_WRONG_CONTENT, code=CODE_WRONG_CONTENT)
    contents = variants if embedded is None else [embedded]
    signer_infos = list(signed["signer_infos"])[:_MAX_SIGNERS]
    if not signer_infos:
        raise _Refusal(CODE_INVALID_FILE, MESSAGE_INVALID)
    ours = [info for info in signer_infos if _identifies(info["sid"], certificate)]
    if not ours:
        return PossessionResult(ok=False, message=MESSAGE_WRONG_SIGNER, code=CODE_WRONG_SIGNER)
    results = []
    for signer_info in ours:
        try:
            result = _check_signer(certificate, signer_info, contents)
        except _Refusal as refusal:
            result = refusal.result
        if result.ok:
            return result
        results.append(result)
    return results[0]


def verify_possession(
    signature: bytes,
    *,
    challenge: bytes,
    certificate: x509.Certificate,
    max_size: int = MAX_SIGNATURE_SIZE,
) -> PossessionResult:
    """Check that ``signature`` is ``certificate``'s key signing ``challenge``; never raises.

    ``signature`` is CMS/PKCS#7 SignedData in DER or PEM, detached (the content
    is ``challenge``) or attached (the embedded content must be ``challenge``).
    A ``challenge`` that is not bytes is a programming error and raises TypeError.
    """
    if not isinstance(challenge, bytes | bytearray):
        raise TypeError("challenge must be the bytes of the challenge text (UTF-8)")
    if not signature:
        return PossessionResult(ok=False, message=MESSAGE_EMPTY, code=CODE_INVALID_FILE)
    if len(signature) > max_size:
        message = MESSAGE_TOO_LARGE.format(size=-(-len(signature) // 1024), limit=max_size // 1024)
        return PossessionResult(ok=False, message=message, code=CODE_INVALID_FILE)
    try:
        return _verify(bytes(signature), bytes(challenge), certificate)
    except _Refusal as refusal:
        return refusal.result
    except Exception:
        # Parsers fail in many ways on hostile input; none may crash a request.
        logger.info("Unreadable possession signature", exc_info=True)
        return PossessionResult(ok=False, message=MESSAGE_INVALID, code=CODE_INVALID_FILE)
