"""What an applicant may upload as their certificate: formats accepted and uploads refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from cryptography.x509.oid import NameOID

from registration.certificates.loading import (
    MAX_CERTIFICATES,
    MESSAGE_CA_CERTIFICATE,
    MESSAGE_INVALID,
    MESSAGE_SEVERAL_LEAVES,
    CertificateBundle,
    CertificateFileError,
    load_certificate,
    load_certificate_bundle,
)
from tests.support import cms
from tests.support.pki import (
    CertificateAndKey,
    make_ca,
    make_leaf,
    make_pkcs12,
    private_key_pem,
    to_der,
    to_pem,
)


@pytest.fixture(scope="module")
def root() -> CertificateAndKey:
    return make_ca("Raíz de pruebas")


@pytest.fixture(scope="module")
def intermediate(root: CertificateAndKey) -> CertificateAndKey:
    return _make_intermediate(root)


@pytest.fixture(scope="module")
def leaf(intermediate: CertificateAndKey) -> CertificateAndKey:
    return make_leaf(intermediate)


def _make_intermediate(root: CertificateAndKey, name: str = "CA subordinada") -> CertificateAndKey:
    root_cert, root_key = root
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(root_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    return cert, key


def _v1_root() -> x509.Certificate:
    """An old-style self-signed root with no extensions at all."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Raíz antigua")])
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )


def _p7b(certs: list[x509.Certificate], encoding: str = "der") -> bytes:
    chosen = serialization.Encoding.DER if encoding == "der" else serialization.Encoding.PEM
    return pkcs7.serialize_certificates(certs, chosen)


def _refusal(data: bytes, **kwargs: int) -> CertificateFileError:
    with pytest.raises(CertificateFileError) as error:
        load_certificate_bundle(data, **kwargs)
    return error.value


# --- Accepted ---------------------------------------------------------------------


@pytest.mark.parametrize("order", ["leaf_first", "leaf_middle", "leaf_last"])
def test_pem_bundle_in_any_order_yields_the_holder_and_the_chain(
    root: CertificateAndKey,
    intermediate: CertificateAndKey,
    leaf: CertificateAndKey,
    order: str,
) -> None:
    certs = {
        "leaf_first": [leaf[0], intermediate[0], root[0]],
        "leaf_middle": [intermediate[0], leaf[0], root[0]],
        "leaf_last": [root[0], intermediate[0], leaf[0]],
    }[order]
    bundle = load_certificate_bundle(b"".join(to_pem(cert) for cert in certs))
    assert bundle.leaf == leaf[0]
    assert set(bundle.intermediates) == {intermediate[0], root[0]}


def test_pem_bundle_with_crlf_line_ends_and_comments_is_loaded(
    intermediate: CertificateAndKey, leaf: CertificateAndKey
) -> None:
    data = (
        b"subject=CN = JUAN CARLOS\r\n"
        + to_pem(leaf[0]).replace(b"\n", b"\r\n")
        + b"issuer=CN = CA subordinada\r\n"
        + to_pem(intermediate[0]).replace(b"\n", b"\r\n")
    )
    assert load_certificate_bundle(data) == CertificateBundle(leaf[0], (intermediate[0],))


@pytest.mark.parametrize("encoding", ["der", "pem"])
def test_p7b_bag_yields_the_holder_and_the_chain(
    root: CertificateAndKey,
    intermediate: CertificateAndKey,
    leaf: CertificateAndKey,
    encoding: str,
) -> None:
    bundle = load_certificate_bundle(_p7b([root[0], leaf[0], intermediate[0]], encoding))
    assert bundle.leaf == leaf[0]
    assert set(bundle.intermediates) == {root[0], intermediate[0]}


@pytest.mark.parametrize("encoding", ["der", "pem"])
def test_p7b_with_only_the_holder_is_loaded(leaf: CertificateAndKey, encoding: str) -> None:
    assert load_certificate_bundle(_p7b([leaf[0]], encoding)) == CertificateBundle(leaf[0])


def test_p7b_in_pem_with_a_cms_label_is_loaded(leaf: CertificateAndKey) -> None:
    data = cms.to_pem(_p7b([leaf[0]]), label="CMS")
    assert load_certificate(data) == leaf[0]


def test_p7b_is_not_mistaken_for_pkcs12(leaf: CertificateAndKey) -> None:
    data = _p7b([leaf[0]])
    assert data[:1] == b"\x30"  # a SEQUENCE holding a pkcs7 OID, like a PFX's inner ContentInfo
    assert load_certificate(data) == leaf[0]
    assert _refusal(data[: len(data) // 2]).code == "invalid"


def test_load_certificate_returns_the_holder_of_a_bag(
    intermediate: CertificateAndKey, leaf: CertificateAndKey
) -> None:
    assert load_certificate(_p7b([intermediate[0], leaf[0]])) == leaf[0]


def test_a_repeated_holder_certificate_counts_once(
    intermediate: CertificateAndKey, leaf: CertificateAndKey
) -> None:
    data = to_pem(leaf[0]) + to_pem(intermediate[0]) + to_pem(leaf[0])
    assert load_certificate_bundle(data) == CertificateBundle(leaf[0], (intermediate[0],))


def test_ten_certificates_are_accepted(leaf: CertificateAndKey) -> None:
    cas = [make_ca(f"CA {number}")[0] for number in range(MAX_CERTIFICATES - 1)]
    bundle = load_certificate_bundle(_p7b([*cas, leaf[0]]))
    assert bundle.leaf == leaf[0]
    assert len(bundle.intermediates) == MAX_CERTIFICATES - 1


def test_an_rsa_certificate_is_loaded(root: CertificateAndKey) -> None:
    cert, _ = cms.make_rsa_leaf(root)
    assert load_certificate(to_der(cert)) == cert


# --- Refused: not the holder's certificate ------------------------------------------


@pytest.mark.parametrize("encoding", ["der", "pem", "p7b"])
def test_a_lone_ca_certificate_is_refused_asking_for_the_personal_one(
    intermediate: CertificateAndKey, encoding: str
) -> None:
    data = {
        "der": to_der(intermediate[0]),
        "pem": to_pem(intermediate[0]),
        "p7b": _p7b([intermediate[0]]),
    }[encoding]
    error = _refusal(data)
    assert error.code == "ca_certificate"
    assert (
        error.message
        == MESSAGE_CA_CERTIFICATE
        == (
            "El archivo contiene el certificado de una autoridad de certificación, no el suyo. "
            "Suba su certificado personal (.cer)."
        )
    )


def test_a_chain_without_the_holder_is_refused(
    root: CertificateAndKey, intermediate: CertificateAndKey
) -> None:
    assert _refusal(to_pem(root[0]) + to_pem(intermediate[0])).code == "ca_certificate"
    assert _refusal(_p7b([root[0], intermediate[0]], "pem")).code == "ca_certificate"


def test_an_old_self_signed_root_without_extensions_counts_as_a_ca() -> None:
    assert _refusal(to_der(_v1_root())).code == "ca_certificate"


def test_an_old_root_next_to_the_holder_is_chain(leaf: CertificateAndKey) -> None:
    old_root = _v1_root()
    assert load_certificate_bundle(to_pem(old_root) + to_pem(leaf[0])).leaf == leaf[0]


@pytest.mark.parametrize("encoding", ["pem", "p7b"])
def test_several_personal_certificates_are_refused(
    intermediate: CertificateAndKey, leaf: CertificateAndKey, encoding: str
) -> None:
    other = make_leaf(intermediate, cedula="0926687856")[0]
    data = to_pem(leaf[0]) + to_pem(other) if encoding == "pem" else _p7b([leaf[0], other])
    error = _refusal(data)
    assert error.code == "several_leaves"
    assert (
        error.message
        == MESSAGE_SEVERAL_LEAVES
        == ("El archivo contiene varios certificados personales; suba solo el suyo.")
    )


@pytest.mark.parametrize("encoding", ["pem", "p7b"])
def test_more_than_ten_certificates_are_refused(leaf: CertificateAndKey, encoding: str) -> None:
    cas = [make_ca(f"CA {number}")[0] for number in range(MAX_CERTIFICATES)]
    certs = [*cas, leaf[0]]
    data = b"".join(to_pem(cert) for cert in certs) if encoding == "pem" else _p7b(certs)
    error = _refusal(data)
    assert error.code == "too_many"
    assert "demasiados certificados" in error.message
    assert "máximo 10" in error.message


# --- Refused: private keys and containers -------------------------------------------


@pytest.mark.parametrize("password", [b"clave", None])
def test_pkcs12_with_an_rsa_key_is_refused(root: CertificateAndKey, password: bytes | None) -> None:
    cert, key = cms.make_rsa_leaf(root)
    data = pkcs12.serialize_key_and_certificates(
        b"firma",
        key,
        cert,
        [root[0]],
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption(),
    )
    assert _refusal(data).code == "pkcs12"


def test_unencrypted_pkcs12_is_not_taken_for_a_p7b(leaf: CertificateAndKey) -> None:
    assert _refusal(make_pkcs12(*leaf, password=None)).code == "pkcs12"


@pytest.mark.parametrize(
    ("private_format", "encrypted"),
    [
        (serialization.PrivateFormat.PKCS8, False),
        (serialization.PrivateFormat.PKCS8, True),
        (serialization.PrivateFormat.TraditionalOpenSSL, False),
    ],
)
def test_der_private_keys_are_refused(
    leaf: CertificateAndKey, private_format: serialization.PrivateFormat, encrypted: bool
) -> None:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(b"clave")
        if encrypted
        else serialization.NoEncryption()
    )
    data = leaf[1].private_bytes(serialization.Encoding.DER, private_format, encryption)
    assert _refusal(data).code == "private_key"


@pytest.mark.parametrize(
    "label", ["PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"]
)
def test_pem_private_keys_are_refused_alone_or_with_the_certificate(
    leaf: CertificateAndKey, label: str
) -> None:
    key_block = f"-----BEGIN {label}-----\nAAAA\n-----END {label}-----\n".encode()
    assert _refusal(key_block).code == "private_key"
    assert _refusal(to_pem(leaf[0]) + key_block).code == "private_key"
    assert _refusal(key_block + cms.to_pem(_p7b([leaf[0]]), "PKCS7")).code == "private_key"


def test_a_real_rsa_key_next_to_the_certificate_is_refused(root: CertificateAndKey) -> None:
    cert, key = cms.make_rsa_leaf(root)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    assert _refusal(key_pem + to_pem(cert)).code == "private_key"


def test_a_pem_ec_key_is_refused(leaf: CertificateAndKey) -> None:
    assert _refusal(private_key_pem(leaf[1])).code == "private_key"


# --- Refused: broken or unrelated files ---------------------------------------------


def test_empty_and_oversized_files_are_refused(leaf: CertificateAndKey) -> None:
    assert _refusal(b"").code == "empty"
    data = _p7b([leaf[0]])
    assert _refusal(data, max_size=len(data) - 1).code == "too_large"


@pytest.mark.parametrize(
    "data",
    [
        b"-----BEGIN CERTIFICATE-----\nMIIB",  # no END line
        b"-----BEGIN PKCS7-----\nnot base64!\n-----END PKCS7-----\n",
        b"-----BEGIN PKCS7-----\nMAA=\n-----END PKCS7-----\n",
        b"-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----\n",
        b"-----BEGIN X509 CRL-----\nMAA=\n-----END X509 CRL-----\n",
        b"-----BEGIN-----",
        b"\x30\x03\x06\x01\x00",
        bytes.fromhex("3011060b2a864886f70d010910010d"),  # a ContentInfo OID, nothing else
    ],
)
def test_broken_or_unrelated_files_are_refused(data: bytes) -> None:
    error = _refusal(data)
    assert error.code == "invalid"
    assert error.message == MESSAGE_INVALID


def test_truncated_pem_bundle_is_refused(
    intermediate: CertificateAndKey, leaf: CertificateAndKey
) -> None:
    data = to_pem(leaf[0]) + to_pem(intermediate[0])
    assert _refusal(data[:-40]).code == "invalid"


def test_a_signature_without_certificates_is_refused(leaf: CertificateAndKey) -> None:
    signature = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(b"reto")
        .add_signer(leaf[0], leaf[1], hashes.SHA256())
    )
    data = signature.sign(
        serialization.Encoding.DER,
        [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.NoCerts],
    )
    assert _refusal(data).code == "invalid"


def test_many_begin_lines_are_refused_quickly() -> None:
    data = b"-----BEGIN CERTIFICATE-----\n" * 2000
    assert _refusal(data, max_size=len(data)).code == "invalid"


def test_an_rsa_public_key_is_not_a_certificate() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert _refusal(der).code == "invalid"
