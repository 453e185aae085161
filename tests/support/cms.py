"""Signatures made the way the applicant's tools make them, for proof-of-possession tests.

``sign`` uses cryptography's PKCS#7 builder, which writes what ``openssl cms
-sign`` writes: SignedData with signed attributes (contentType, signingTime,
messageDigest, S/MIME capabilities) unless ``attributes=False``, identified by
issuer and serial number, detached by default. Without ``binary`` the text is
signed in canonical CRLF form, like ``openssl cms -sign`` without ``-binary``;
FirmaEC signs the file's bytes as they are (``binary=True``).

``sign_by_hand`` builds the structure field by field with asn1crypto, for what
the builder refuses to make: SHA-1 and MD5 digests, a subjectKeyIdentifier
signer identifier.
"""

from __future__ import annotations

import base64
import textwrap
from datetime import UTC, datetime, timedelta
from typing import Literal

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

from registration.demo_pki import CertificateAndKey

SigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
Encoding = Literal["der", "pem"]

_ENCODINGS = {"der": serialization.Encoding.DER, "pem": serialization.Encoding.PEM}
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "md5": hashes.MD5,
    "sha1": hashes.SHA1,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


def make_rsa_leaf(
    ca: CertificateAndKey, *, key_size: int = 2048, common_name: str = "ANA LOPEZ"
) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    """An RSA signing certificate issued by ``ca`` (most Ecuadorian CAs issue RSA keys)."""
    ca_cert, ca_key = ca
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COUNTRY_NAME, "EC"),
                    x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                    x509.NameAttribute(NameOID.SERIAL_NUMBER, "IDCEC-1714307103"),
                ]
            )
        )
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=730))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key


def sign(
    cert: x509.Certificate,
    key: SigningKey,
    content: bytes,
    *,
    detached: bool = True,
    encoding: Encoding = "der",
    attributes: bool = True,
    binary: bool = True,
    hash_algorithm: hashes.SHA256 | hashes.SHA384 | hashes.SHA512 | None = None,
    rsa_padding: padding.PSS | padding.PKCS1v15 | None = None,
) -> bytes:
    """A CMS signature of ``content`` by ``key``, claiming to be ``cert``'s (it may lie)."""
    options = []
    if detached:
        options.append(pkcs7.PKCS7Options.DetachedSignature)
    if not attributes:
        options.append(pkcs7.PKCS7Options.NoAttributes)
    if binary:
        options.append(pkcs7.PKCS7Options.Binary)
    builder = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(content)
        .add_signer(cert, key, hash_algorithm or hashes.SHA256(), rsa_padding=rsa_padding)
    )
    return builder.sign(_ENCODINGS[encoding], options)


def _key_identifier(cert: x509.Certificate) -> bytes:
    return x509.SubjectKeyIdentifier.from_public_key(cert.public_key()).digest


def sign_by_hand(
    cert: x509.Certificate,
    key: SigningKey,
    content: bytes,
    *,
    digest: str = "sha256",
    attributes: bool = True,
    detached: bool = True,
    signer_id: Literal["issuer_and_serial", "key_identifier"] = "issuer_and_serial",
) -> bytes:
    """A DER SignedData assembled with asn1crypto, for digests and shapes the builder won't make."""
    hash_type = _HASHES[digest]
    asn1_cert = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    if signer_id == "key_identifier":
        sid = cms.SignerIdentifier({"subject_key_identifier": _key_identifier(cert)})
        version = "v3"
    else:
        issuer_and_serial = cms.IssuerAndSerialNumber(
            {"issuer": asn1_cert.issuer, "serial_number": asn1_cert.serial_number}
        )
        sid = cms.SignerIdentifier({"issuer_and_serial_number": issuer_and_serial})
        version = "v1"
    signed_attrs = None
    to_sign = content
    if attributes:
        hasher = hashes.Hash(hash_type())
        hasher.update(content)
        signed_attrs = cms.CMSAttributes(
            [
                cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
                cms.CMSAttribute({"type": "message_digest", "values": [hasher.finalize()]}),
            ]
        )
        to_sign = signed_attrs.dump()  # SET OF, DER: what the signature covers
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(to_sign, padding.PKCS1v15(), hash_type())
        signature_algorithm = "rsassa_pkcs1v15"
    else:
        signature = key.sign(to_sign, ec.ECDSA(hash_type()))
        signature_algorithm = f"{digest}_ecdsa"
    signer_info = cms.SignerInfo(
        {
            "version": version,
            "sid": sid,
            "digest_algorithm": {"algorithm": digest},
            "signed_attrs": signed_attrs,
            "signature_algorithm": {"algorithm": signature_algorithm},
            "signature": signature,
        }
    )
    # A v1 SignedData carries a PKCS#7 ContentInfo; a v3 one a CMS EncapsulatedContentInfo.
    encap_type = cms.EncapsulatedContentInfo if version == "v3" else cms.ContentInfo
    encap = encap_type({"content_type": "data", "content": None if detached else content})
    signed_data = cms.SignedData(
        {
            "version": version,
            "digest_algorithms": [{"algorithm": digest}],
            "encap_content_info": encap,
            "certificates": [asn1_cert],
            "signer_infos": [signer_info],
        }
    )
    return cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump()


def to_pem(der: bytes, label: str = "CMS") -> bytes:
    """PEM armour, as ``openssl cms -outform PEM`` (CMS) or ``openssl smime`` (PKCS7) write it."""
    body = "\n".join(textwrap.wrap(base64.b64encode(der).decode("ascii"), 64))
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n".encode("ascii")
