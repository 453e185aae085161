"""Hostile uploads: mutated certificates, bags and signatures never crash the checks.

Loading may only refuse with CertificateFileError; verify_certificate and
verify_possession never raise. Seeds are real DER/PEM certificates, PKCS#7
bags and CMS signatures; mutations flip bits, cut, insert, delete and repeat
bytes, or re-armour a mutated DER body as PEM.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registration.certificates.identity import LEGACY_ARCS, LEGACY_SUFFIXES, read_identity
from registration.certificates.loading import (
    MAX_CERTIFICATES,
    CertificateBundle,
    CertificateFileError,
    load_certificate_bundle,
)
from registration.certificates.possession import PossessionResult, verify_possession
from registration.certificates.verification import verify_certificate
from tests.support import cms
from tests.support.pki import (
    DEFAULT_CEDULA,
    DEFAULT_RUC,
    der_string,
    make_ca,
    make_leaf,
    make_pkcs12,
    to_der,
    to_pem,
)

pytestmark = pytest.mark.filterwarnings("ignore::cryptography.utils.CryptographyDeprecationWarning")

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

CHALLENGE = b"ECUAPASS - Solicitud del uso\nSolicitud: SOL-1\nReto: abc\nV\xc3\xa1lido hasta: 01/01/2030 00:00 UTC\n"

POSSESSION_CODES = {
    "possession.ok",
    "possession.invalid_file",
    "possession.wrong_signer",
    "possession.wrong_content",
    "possession.bad_signature",
    "possession.weak_digest",
    "possession.unsupported_algorithm",
}
LOADING_CODES = {
    "empty",
    "too_large",
    "pkcs12",
    "private_key",
    "invalid",
    "ca_certificate",
    "several_leaves",
    "too_many",
}


@dataclass(frozen=True)
class Corpus:
    """Real inputs to mutate, made once per session."""

    holder: x509.Certificate
    rsa_holder: x509.Certificate
    uploads: tuple[bytes, ...]
    der_uploads: tuple[bytes, ...]
    signatures: tuple[tuple[bytes, x509.Certificate], ...]
    der_signatures: tuple[tuple[bytes, x509.Certificate], ...]


@cache
def corpus() -> Corpus:
    ca = make_ca()
    holder, key = make_leaf(ca)
    subject_holder, _ = make_leaf(ca, layout="both")
    rsa_holder, rsa_key = cms.make_rsa_leaf(ca)
    bag = [ca[0], holder]
    der_uploads = (
        to_der(holder),
        to_der(subject_holder),
        to_der(rsa_holder),
        to_der(ca[0]),
        pkcs7.serialize_certificates(bag, serialization.Encoding.DER),
        make_pkcs12(holder, key, password=None),
        make_pkcs12(holder, key),
    )
    uploads = (
        *der_uploads,
        to_pem(holder),
        to_pem(ca[0]) + to_pem(holder),
        pkcs7.serialize_certificates(bag, serialization.Encoding.PEM),
    )
    der_signatures = (
        (cms.sign(holder, key, CHALLENGE), holder),
        (cms.sign(holder, key, CHALLENGE, attributes=False), holder),
        (cms.sign(holder, key, CHALLENGE, detached=False), holder),
        (cms.sign(rsa_holder, rsa_key, CHALLENGE), rsa_holder),
        (cms.sign(rsa_holder, rsa_key, CHALLENGE, detached=False, attributes=False), rsa_holder),
        (cms.sign_by_hand(holder, key, CHALLENGE, signer_id="key_identifier"), holder),
        (cms.sign_by_hand(rsa_holder, rsa_key, CHALLENGE, digest="sha1"), rsa_holder),
    )
    signatures = (
        *der_signatures,
        (cms.sign(holder, key, CHALLENGE, encoding="pem"), holder),
        (cms.to_pem(cms.sign(rsa_holder, rsa_key, CHALLENGE), "CMS"), rsa_holder),
    )
    return Corpus(
        holder=holder,
        rsa_holder=rsa_holder,
        uploads=uploads,
        der_uploads=der_uploads,
        signatures=signatures,
        der_signatures=der_signatures,
    )


# --- Mutations -----------------------------------------------------------------------


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """``seed`` after one to four random edits."""
    data = bytearray(seed)
    for _ in range(draw(st.sampled_from([1, 1, 1, 2, 3, 4]))):
        operation = draw(st.sampled_from(["flip", "set", "truncate", "insert", "delete", "repeat"]))
        if not data:
            break
        at = draw(st.integers(min_value=0, max_value=len(data) - 1))
        if operation == "flip":
            data[at] ^= 1 << draw(st.integers(min_value=0, max_value=7))
        elif operation == "set":
            # Length-ish bytes are the interesting ones for DER parsers.
            data[at] = draw(st.sampled_from([0x00, 0x7F, 0x80, 0x81, 0x82, 0x84, 0x88, 0xFF]))
        elif operation == "truncate":
            del data[at:]
        elif operation == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif operation == "delete":
            del data[at : at + draw(st.integers(min_value=1, max_value=16))]
        else:
            size = draw(st.integers(min_value=1, max_value=32))
            data[at:at] = data[at : at + size]
    return bytes(data)


@st.composite
def hostile_upload(
    draw: st.DrawFn, seeds: tuple[bytes, ...], der_seeds: tuple[bytes, ...]
) -> bytes:
    """A mutated upload, a mutated DER body in PEM armour, or random bytes."""
    kind = draw(st.sampled_from(["mutated", "armoured", "random"]))
    if kind == "random":
        return draw(st.binary(max_size=2048))
    if kind == "armoured":
        body = draw(mutated(draw(st.sampled_from(der_seeds))))
        label = draw(st.sampled_from(["CERTIFICATE", "PKCS7", "CMS"]))
        return cms.to_pem(body, label)
    return draw(mutated(draw(st.sampled_from(seeds))))


# --- Loading and verify_certificate --------------------------------------------------


@FUZZ
@given(data=st.data())
def test_loading_refuses_only_with_certificate_file_error(data: st.DataObject) -> None:
    upload = data.draw(hostile_upload(corpus().uploads, corpus().der_uploads))
    try:
        bundle = load_certificate_bundle(upload)
    except CertificateFileError as error:
        assert error.code in LOADING_CODES
        assert error.message
        return
    assert isinstance(bundle, CertificateBundle)
    assert isinstance(bundle.leaf, x509.Certificate)
    assert len(bundle.intermediates) < MAX_CERTIFICATES


@FUZZ
@given(
    text=st.text(max_size=300),
    label=st.sampled_from(["CERTIFICATE", "PKCS7", "CMS", "PRIVATE KEY", "X509 CRL", "A"]),
)
def test_random_pem_text_is_refused_cleanly(text: str, label: str) -> None:
    upload = f"-----BEGIN {label}-----\n{text}\n-----END {label}-----\n".encode()
    try:
        load_certificate_bundle(upload)
    except CertificateFileError as error:
        assert error.code in LOADING_CODES


@FUZZ
@given(data=st.data())
def test_verify_certificate_never_raises(data: st.DataObject) -> None:
    upload = data.draw(hostile_upload(corpus().uploads, corpus().der_uploads))
    result = verify_certificate(upload, expected_cedula=DEFAULT_CEDULA, expected_ruc=DEFAULT_RUC)
    assert isinstance(result.valid, bool)
    assert result.valid == all(finding.ok for finding in result.findings)
    json.dumps(result.to_dict())


# --- verify_possession ----------------------------------------------------------------


def _check_possession(signature: bytes, cert: x509.Certificate) -> PossessionResult:
    result = verify_possession(signature, challenge=CHALLENGE, certificate=cert)
    assert isinstance(result, PossessionResult)
    assert result.code in POSSESSION_CODES
    assert result.message
    assert result.ok == (result.code == "possession.ok")
    json.dumps(result.to_dict())
    return result


@FUZZ
@given(data=st.data())
def test_verify_possession_never_raises_on_mutated_signatures(data: st.DataObject) -> None:
    signature, cert = data.draw(st.sampled_from(corpus().signatures))
    if data.draw(st.booleans()):
        der, cert = data.draw(st.sampled_from(corpus().der_signatures))
        signature = cms.to_pem(
            data.draw(mutated(der)), data.draw(st.sampled_from(["CMS", "PKCS7"]))
        )
    else:
        signature = data.draw(mutated(signature))
    _check_possession(signature, cert)


@FUZZ
@given(signature=st.binary(max_size=2048))
def test_verify_possession_never_raises_on_random_bytes(signature: bytes) -> None:
    assert not _check_possession(signature, corpus().holder).ok


@FUZZ
@given(data=st.data())
def test_verify_possession_never_raises_on_odd_certificates(data: st.DataObject) -> None:
    signature, cert = data.draw(st.sampled_from(corpus().der_signatures))
    cert_der = data.draw(mutated(to_der(cert)))
    try:
        odd = x509.load_der_x509_certificate(cert_der)
    except (ValueError, x509.InvalidVersion):  # a mutated version field is not a certificate
        return
    _check_possession(signature, odd)


# --- read_identity on random identity strings ----------------------------------------

_TEXT = st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=40)
_PRINTABLE = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 '()+,-./:=?",
    min_size=1,
    max_size=40,
)
_LEGACY_OIDS = [f"{arc}.{suffix}" for arc in LEGACY_ARCS for suffix in LEGACY_SUFFIXES]
_SUBJECT_OIDS = [
    NameOID.SERIAL_NUMBER,
    NameOID.ORGANIZATION_IDENTIFIER,
    NameOID.GIVEN_NAME,
    NameOID.SURNAME,
    NameOID.ORGANIZATION_NAME,
    NameOID.TITLE,
    NameOID.COMMON_NAME,
]


@cache
def _issuer() -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    return make_ca("CA de fuzzing")


@st.composite
def _value(draw: st.DrawFn) -> bytes:
    """A legacy value as CAs write them: a DER string, raw text, or anything at all."""
    kind = draw(st.sampled_from(["utf8", "printable", "raw", "bytes", "identity"]))
    if kind == "bytes":
        return draw(st.binary(max_size=40))
    if kind == "identity":
        text = draw(st.sampled_from([DEFAULT_CEDULA, DEFAULT_RUC, "AB123456", "1714307103001"]))
        return der_string(text)
    return der_string(draw(_TEXT), kind)  # type: ignore[arg-type]


def _octet_string(value: bytes) -> bytes:
    length = len(value)
    header = bytes([length]) if length < 0x80 else bytes([0x81, length])
    return b"\x04" + header + value


@st.composite
def _san_value(draw: st.DrawFn) -> bytes:
    """An otherName value: cryptography only writes valid DER, so DER strings, maybe wrapped."""
    text = draw(st.one_of(_TEXT, st.sampled_from([DEFAULT_CEDULA, DEFAULT_RUC, "AB123456"])))
    value = der_string(text)
    return _octet_string(value) if draw(st.booleans()) else value


@st.composite
def identity_certificate(draw: st.DrawFn) -> x509.Certificate:
    ca_cert, ca_key = _issuer()
    attributes = []
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        oid = draw(st.sampled_from(_SUBJECT_OIDS))
        prefix = draw(st.sampled_from(["", "IDCEC-", "PASEC-", "VATEC-"]))
        # serialNumber is a PrintableString: cryptography refuses other characters there.
        text = draw(_PRINTABLE if oid == NameOID.SERIAL_NUMBER else _TEXT)
        # cryptography caps some attributes at 64 UTF-8 bytes; stay within what it can encode.
        while len((prefix + text).encode()) > 64:
            text = text[:-1]
        attributes.append(x509.NameAttribute(oid, prefix + text))
    legacy = draw(st.dictionaries(st.sampled_from(_LEGACY_OIDS), _value(), max_size=6))
    san = draw(st.dictionaries(st.sampled_from(_LEGACY_OIDS), _san_value(), max_size=6))
    policies = draw(
        st.lists(
            st.sampled_from(["2.5.29.32.0", "1.3.6.1.4.1.37947.2.1.1", "2.23.140.1.2.1"]),
            unique=True,
            max_size=3,
        )
    )
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name(attributes))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
    )
    for dotted, value in legacy.items():
        extension = x509.UnrecognizedExtension(x509.ObjectIdentifier(dotted), value)
        builder = builder.add_extension(extension, critical=False)
    if san:
        names = [x509.OtherName(x509.ObjectIdentifier(dotted), raw) for dotted, raw in san.items()]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    if policies:
        infos = [x509.PolicyInformation(x509.ObjectIdentifier(dotted), None) for dotted in policies]
        builder = builder.add_extension(x509.CertificatePolicies(infos), critical=False)
    return builder.sign(ca_key, hashes.SHA256())


@FUZZ
@given(data=st.data())
def test_read_identity_never_raises_on_random_identity_strings(data: st.DataObject) -> None:
    der = to_der(data.draw(identity_certificate()))
    identity = read_identity(x509.load_der_x509_certificate(der))
    assert identity.layout in {"legacy", "san", "subject", "none"}
    assert identity.cedula is None or identity.cedula.strip()
    assert json.loads(json.dumps(identity.to_dict()))["layout"] == identity.layout
    result = verify_certificate(der, expected_cedula=DEFAULT_CEDULA, expected_ruc=DEFAULT_RUC)
    json.dumps(result.to_dict())
