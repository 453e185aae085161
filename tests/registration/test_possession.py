"""Proof of possession: the applicant signs a one-time challenge with their certificate's key."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7

from registration.certificates.possession import (
    CHALLENGE_FILENAME,
    MESSAGE_OK,
    PossessionResult,
    challenge_text,
    openssl_command,
    verify_possession,
)
from tests.support import cms
from tests.support.pki import CertificateAndKey, make_ca, make_leaf, to_pem

CHALLENGE = challenge_text(
    tracking_or_form_id="SOL-2026-000123",
    nonce="q3V9-ZtR2-8KpL",
    expires_at=datetime(2026, 3, 1, 15, 30, tzinfo=UTC),
).encode("utf-8")
OTHER_CHALLENGE = challenge_text(
    tracking_or_form_id="SOL-2026-000123",
    nonce="otro-reto",
    expires_at=datetime(2026, 3, 1, 15, 30, tzinfo=UTC),
).encode("utf-8")

RsaCertificateAndKey = tuple[x509.Certificate, rsa.RSAPrivateKey]


@pytest.fixture(scope="module")
def ca() -> CertificateAndKey:
    return make_ca()


@pytest.fixture(scope="module")
def ec_holder(ca: CertificateAndKey) -> CertificateAndKey:
    return make_leaf(ca)


@pytest.fixture(scope="module")
def rsa_holder(ca: CertificateAndKey) -> RsaCertificateAndKey:
    return cms.make_rsa_leaf(ca)


@pytest.fixture(scope="module", params=["rsa", "ec"])
def holder(
    request: pytest.FixtureRequest,
    ec_holder: CertificateAndKey,
    rsa_holder: RsaCertificateAndKey,
) -> tuple[x509.Certificate, cms.SigningKey]:
    return rsa_holder if request.param == "rsa" else ec_holder


def _key_pem(key: cms.SigningKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _verify(signature: bytes, cert: x509.Certificate, challenge: bytes = CHALLENGE) -> str:
    return verify_possession(signature, challenge=challenge, certificate=cert).code


# --- The challenge text ---------------------------------------------------------------


def test_challenge_text_names_the_request_the_nonce_and_the_expiry() -> None:
    text = challenge_text(
        tracking_or_form_id="SOL-2026-000123",
        nonce="q3V9-ZtR2-8KpL",
        expires_at=datetime(2026, 3, 1, 10, 30, tzinfo=timezone(timedelta(hours=-5))),
    )
    assert text == (
        "ECUAPASS - Solicitud del uso\n"
        "Solicitud: SOL-2026-000123\n"
        "Reto: q3V9-ZtR2-8KpL\n"
        "Válido hasta: 01/03/2026 10:30 (hora de Ecuador, UTC-5)\n"
    )


def test_challenge_text_is_deterministic_and_signed_as_utf8() -> None:
    def text() -> str:
        return challenge_text(
            tracking_or_form_id="F-1", nonce="abc", expires_at=datetime(2026, 1, 1, tzinfo=UTC)
        )

    assert text() == text()
    assert "Válido hasta: 31/12/2025 19:00 (hora de Ecuador, UTC-5)".encode() in text().encode(
        "utf-8"
    )


@pytest.mark.parametrize(
    ("tracking", "nonce", "expires_at"),
    [
        ("SOL-1", "abc", datetime(2026, 1, 1)),  # naive
        ("", "abc", datetime(2026, 1, 1, tzinfo=UTC)),
        ("SOL-1", "", datetime(2026, 1, 1, tzinfo=UTC)),
        ("SOL-1\nReto: falso", "abc", datetime(2026, 1, 1, tzinfo=UTC)),
        ("SOL-1", "abc\r\n", datetime(2026, 1, 1, tzinfo=UTC)),
    ],
)
def test_challenge_text_refuses_ambiguous_values(
    tracking: str, nonce: str, expires_at: datetime
) -> None:
    with pytest.raises(ValueError):
        challenge_text(tracking_or_form_id=tracking, nonce=nonce, expires_at=expires_at)


def test_openssl_command_is_the_line_shown_in_the_form() -> None:
    assert openssl_command() == (
        "openssl cms -sign -binary -md sha256 -in reto-ecuapass.txt -signer certificado.pem "
        "-inkey clave.pem -outform DER -out reto.p7s"
    )


def test_openssl_command_quotes_file_names() -> None:
    command = openssl_command(cert_filename="mi certificado.pem", key_filename="clave privada.pem")
    arguments = shlex.split(command)
    assert arguments[arguments.index("-signer") + 1] == "mi certificado.pem"
    assert arguments[arguments.index("-inkey") + 1] == "clave privada.pem"


# --- Good signatures ------------------------------------------------------------------


def test_detached_der_signature_proves_possession(
    holder: tuple[x509.Certificate, cms.SigningKey],
) -> None:
    cert, key = holder
    result = verify_possession(
        cms.sign(cert, key, CHALLENGE), challenge=CHALLENGE, certificate=cert
    )
    assert result == PossessionResult(ok=True, message=MESSAGE_OK, code="possession.ok")


def test_pem_signature_proves_possession(
    holder: tuple[x509.Certificate, cms.SigningKey],
) -> None:
    cert, key = holder
    signature = cms.sign(cert, key, CHALLENGE, encoding="pem")
    assert signature.startswith(b"-----BEGIN PKCS7-----")
    assert _verify(signature, cert) == "possession.ok"


def test_pem_with_a_cms_label_proves_possession(ec_holder: CertificateAndKey) -> None:
    cert, key = ec_holder
    signature = cms.to_pem(cms.sign(cert, key, CHALLENGE), label="CMS")
    assert _verify(b"Firma del reto\n" + signature, cert) == "possession.ok"


def test_signature_without_signed_attributes_proves_possession(
    holder: tuple[x509.Certificate, cms.SigningKey],
) -> None:
    cert, key = holder
    assert _verify(cms.sign(cert, key, CHALLENGE, attributes=False), cert) == "possession.ok"


def test_attached_signature_with_the_challenge_inside_proves_possession(
    holder: tuple[x509.Certificate, cms.SigningKey],
) -> None:
    cert, key = holder
    for attributes in (True, False):
        signature = cms.sign(cert, key, CHALLENGE, detached=False, attributes=attributes)
        assert _verify(signature, cert) == "possession.ok"


def test_text_signed_with_crlf_line_ends_is_the_same_challenge(
    holder: tuple[x509.Certificate, cms.SigningKey],
) -> None:
    # Like `openssl cms -sign` without -binary: the text is signed in canonical CRLF form.
    cert, key = holder
    for detached in (True, False):
        for attributes in (True, False):
            signature = cms.sign(
                cert, key, CHALLENGE, binary=False, detached=detached, attributes=attributes
            )
            assert _verify(signature, cert) == "possession.ok"


@pytest.mark.parametrize("hash_algorithm", [hashes.SHA384(), hashes.SHA512()])
def test_sha384_and_sha512_are_accepted(
    holder: tuple[x509.Certificate, cms.SigningKey],
    hash_algorithm: hashes.SHA384 | hashes.SHA512,
) -> None:
    cert, key = holder
    signature = cms.sign(cert, key, CHALLENGE, hash_algorithm=hash_algorithm)
    assert _verify(signature, cert) == "possession.ok"


@pytest.mark.parametrize("attributes", [True, False])
def test_rsa_pss_signature_proves_possession(
    rsa_holder: RsaCertificateAndKey, attributes: bool
) -> None:
    cert, key = rsa_holder
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)
    signature = cms.sign(cert, key, CHALLENGE, rsa_padding=pss, attributes=attributes)
    assert _verify(signature, cert) == "possession.ok"


def test_signer_named_by_subject_key_identifier_is_recognised(
    holder: tuple[x509.Certificate, cms.SigningKey],
) -> None:
    cert, key = holder
    signature = cms.sign_by_hand(cert, key, CHALLENGE, signer_id="key_identifier")
    assert _verify(signature, cert) == "possession.ok"


def test_hand_built_signature_proves_possession(
    holder: tuple[x509.Certificate, cms.SigningKey],
) -> None:
    cert, key = holder
    for attributes in (True, False):
        for detached in (True, False):
            signature = cms.sign_by_hand(
                cert, key, CHALLENGE, attributes=attributes, detached=detached
            )
            assert _verify(signature, cert) == "possession.ok"


def test_a_second_signer_does_not_hide_the_holder(
    ca: CertificateAndKey, ec_holder: CertificateAndKey
) -> None:
    cert, key = ec_holder
    stranger = make_leaf(ca)
    builder = pkcs7.PKCS7SignatureBuilder().set_data(CHALLENGE)
    builder = builder.add_signer(stranger[0], stranger[1], hashes.SHA256())
    builder = builder.add_signer(cert, key, hashes.SHA256())
    signature = builder.sign(
        serialization.Encoding.DER,
        [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary],
    )
    assert _verify(signature, cert) == "possession.ok"


def test_result_to_dict_is_json_serialisable(ec_holder: CertificateAndKey) -> None:
    cert, key = ec_holder
    result = verify_possession(
        cms.sign(cert, key, CHALLENGE), challenge=CHALLENGE, certificate=cert
    )
    assert json.loads(json.dumps(result.to_dict())) == {
        "ok": True,
        "message": MESSAGE_OK,
        "code": "possession.ok",
    }


# --- Refused signatures ---------------------------------------------------------------


def test_signature_by_another_key_claiming_this_certificate_is_refused(
    ca: CertificateAndKey, holder: tuple[x509.Certificate, cms.SigningKey]
) -> None:
    cert, _ = holder
    _, forger_key = make_leaf(ca)
    for attributes in (True, False):
        forged = cms.sign(cert, forger_key, CHALLENGE, attributes=attributes)
        result = verify_possession(forged, challenge=CHALLENGE, certificate=cert)
        assert (result.ok, result.code) == (False, "possession.bad_signature")
        assert "clave privada" in result.message


def test_signature_by_another_rsa_key_claiming_this_certificate_is_refused(
    ca: CertificateAndKey, rsa_holder: RsaCertificateAndKey
) -> None:
    cert, _ = rsa_holder
    forger_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert _verify(cms.sign(cert, forger_key, CHALLENGE), cert) == "possession.bad_signature"


def test_signature_by_another_certificate_is_refused(
    ca: CertificateAndKey, holder: tuple[x509.Certificate, cms.SigningKey]
) -> None:
    cert, _ = holder
    other_cert, other_key = make_leaf(ca)
    result = verify_possession(
        cms.sign(other_cert, other_key, CHALLENGE), challenge=CHALLENGE, certificate=cert
    )
    assert (result.ok, result.code) == (False, "possession.wrong_signer")
    assert "otro certificado" in result.message


def test_same_serial_from_another_issuer_is_another_certificate(
    ec_holder: CertificateAndKey,
) -> None:
    cert, key = ec_holder
    impostor_ca = make_ca("CA impostora")
    impostor = (
        x509.CertificateBuilder()
        .subject_name(cert.subject)
        .issuer_name(impostor_ca[0].subject)
        .public_key(key.public_key())
        .serial_number(cert.serial_number)
        .not_valid_before(cert.not_valid_before_utc)
        .not_valid_after(cert.not_valid_after_utc)
        .sign(impostor_ca[1], hashes.SHA256())
    )
    assert _verify(cms.sign(impostor, key, CHALLENGE), cert) == "possession.wrong_signer"


def test_signature_of_another_challenge_is_refused(
    holder: tuple[x509.Certificate, cms.SigningKey],
) -> None:
    cert, key = holder
    result = verify_possession(
        cms.sign(cert, key, OTHER_CHALLENGE), challenge=CHALLENGE, certificate=cert
    )
    assert (result.ok, result.code) == (False, "possession.wrong_content")
    assert "otro texto" in result.message


def test_attached_signature_of_another_challenge_is_refused(
    holder: tuple[x509.Certificate, cms.SigningKey],
) -> None:
    cert, key = holder
    for attributes in (True, False):
        signature = cms.sign(cert, key, OTHER_CHALLENGE, detached=False, attributes=attributes)
        assert _verify(signature, cert) == "possession.wrong_content"


def test_unattributed_signature_of_another_challenge_does_not_verify(
    holder: tuple[x509.Certificate, cms.SigningKey],
) -> None:
    # Without signed attributes there is no digest to compare: the signature just fails.
    cert, key = holder
    signature = cms.sign(cert, key, OTHER_CHALLENGE, attributes=False)
    assert _verify(signature, cert) == "possession.bad_signature"


@pytest.mark.parametrize("digest", ["sha1", "md5"])
def test_weak_digests_are_refused(rsa_holder: RsaCertificateAndKey, digest: str) -> None:
    cert, key = rsa_holder
    for attributes in (True, False):
        signature = cms.sign_by_hand(cert, key, CHALLENGE, digest=digest, attributes=attributes)
        result = verify_possession(signature, challenge=CHALLENGE, certificate=cert)
        assert (result.ok, result.code) == (False, "possession.weak_digest")
        assert "SHA-256" in result.message


def test_sha1_ecdsa_is_refused(ec_holder: CertificateAndKey) -> None:
    cert, key = ec_holder
    result = verify_possession(
        cms.sign_by_hand(cert, key, CHALLENGE, digest="sha1"), challenge=CHALLENGE, certificate=cert
    )
    assert result.code == "possession.weak_digest"
    assert "SHA-1" in result.message


def test_tampered_signature_value_is_refused(ec_holder: CertificateAndKey) -> None:
    cert, key = ec_holder
    signature = bytearray(cms.sign(cert, key, CHALLENGE, attributes=False))
    signature[-5] ^= 0x01  # inside the ECDSA signature value, the last field
    assert _verify(bytes(signature), cert) == "possession.bad_signature"


@pytest.mark.parametrize(
    "signature",
    [
        b"",
        b"firma",
        b"\x00" * 64,
        b"\x30\x82\xff\xff\x00",
        bytes.fromhex("300b06092a864886f70d010701"),  # ContentInfo of type data, not signed
        b"-----BEGIN CMS-----\nno es base64!\n-----END CMS-----\n",
        b"-----BEGIN CMS-----\nMAA=\n",
        b"-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n",
    ],
)
def test_garbage_is_an_invalid_file(ec_holder: CertificateAndKey, signature: bytes) -> None:
    result = verify_possession(signature, challenge=CHALLENGE, certificate=ec_holder[0])
    assert (result.ok, result.code) == (False, "possession.invalid_file")
    assert result.message


@pytest.mark.parametrize("cut", [1, 20, 200])
def test_truncated_signature_is_an_invalid_file(ec_holder: CertificateAndKey, cut: int) -> None:
    cert, key = ec_holder
    signature = cms.sign(cert, key, CHALLENGE)
    assert _verify(signature[:-cut], cert) == "possession.invalid_file"


def test_empty_signature_says_so(ec_holder: CertificateAndKey) -> None:
    result = verify_possession(b"", challenge=CHALLENGE, certificate=ec_holder[0])
    assert "vacío" in result.message


def test_oversized_signature_is_an_invalid_file(ec_holder: CertificateAndKey) -> None:
    cert, key = ec_holder
    signature = cms.sign(cert, key, CHALLENGE)
    result = verify_possession(
        signature, challenge=CHALLENGE, certificate=cert, max_size=len(signature) - 1
    )
    assert (result.code, "demasiado grande" in result.message) == ("possession.invalid_file", True)


def test_a_certificate_bag_is_not_a_signature(ec_holder: CertificateAndKey) -> None:
    bag = pkcs7.serialize_certificates([ec_holder[0]], serialization.Encoding.DER)
    assert _verify(bag, ec_holder[0]) == "possession.invalid_file"


# --- Real OpenSSL ----------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl binary is not installed")
@pytest.mark.parametrize(
    "extra",
    [
        [],  # the plain command from the brief: detached, canonical text, default digest
        ["-binary"],
        ["-nodetach"],
        ["-noattr"],
        ["-keyid"],
        ["-outform", "PEM"],
    ],
)
def test_real_openssl_cms_signature_proves_possession(
    tmp_path: Path, rsa_holder: RsaCertificateAndKey, extra: list[str]
) -> None:
    cert, key = rsa_holder
    (tmp_path / "reto.txt").write_bytes(CHALLENGE)
    (tmp_path / "certificado.pem").write_bytes(to_pem(cert))
    (tmp_path / "clave.pem").write_bytes(_key_pem(key))
    command = [
        "openssl",
        "cms",
        "-sign",
        "-in",
        "reto.txt",
        "-signer",
        "certificado.pem",
        "-inkey",
        "clave.pem",
        "-outform",
        "DER",
        "-out",
        "reto.p7s",
        *extra,
    ]
    subprocess.run(command, cwd=tmp_path, check=True, capture_output=True, timeout=30)
    signature = (tmp_path / "reto.p7s").read_bytes()
    assert _verify(signature, cert) == "possession.ok"
    # Without signed attributes there is no digest to compare: the signature just fails.
    other = "possession.bad_signature" if "-noattr" in extra else "possession.wrong_content"
    assert _verify(signature, cert, challenge=OTHER_CHALLENGE) == other


@pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl binary is not installed")
def test_the_command_shown_in_the_form_works(tmp_path: Path, ec_holder: CertificateAndKey) -> None:
    cert, key = ec_holder
    # The file "Descargar reto" saves, under the name it gives it.
    (tmp_path / CHALLENGE_FILENAME).write_bytes(CHALLENGE)
    (tmp_path / "certificado.pem").write_bytes(to_pem(cert))
    (tmp_path / "clave.pem").write_bytes(_key_pem(key))
    subprocess.run(
        shlex.split(openssl_command()), cwd=tmp_path, check=True, capture_output=True, timeout=30
    )
    assert _verify((tmp_path / "reto.p7s").read_bytes(), cert) == "possession.ok"


@pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl binary is not installed")
def test_real_openssl_signature_with_sha1_is_refused(
    tmp_path: Path, ec_holder: CertificateAndKey
) -> None:
    cert, key = ec_holder
    (tmp_path / "reto.txt").write_bytes(CHALLENGE)
    (tmp_path / "c.pem").write_bytes(to_pem(cert))
    (tmp_path / "k.pem").write_bytes(_key_pem(key))
    command = "openssl cms -sign -md sha1 -in reto.txt -signer c.pem -inkey k.pem -outform DER"
    output = subprocess.run(
        [*shlex.split(command), "-out", "reto.p7s"],
        cwd=tmp_path,
        capture_output=True,
        timeout=30,
    )
    if output.returncode != 0:
        pytest.skip("this OpenSSL refuses to sign with SHA-1")
    assert _verify((tmp_path / "reto.p7s").read_bytes(), cert) == "possession.weak_digest"


def test_a_text_challenge_is_a_programming_error(ec_holder: CertificateAndKey) -> None:
    with pytest.raises(TypeError):
        verify_possession(b"", challenge="reto", certificate=ec_holder[0])  # type: ignore[arg-type]
