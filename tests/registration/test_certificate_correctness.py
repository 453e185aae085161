"""Issue 11, correctness: RFC 5280 cases the verifier got wrong (x509-limbo and built chains)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from cryptography import x509
from django.core.management import call_command
from django.core.management.base import CommandError

from registration.certificates import CertificateFileError, Finding, VerificationContext
from registration.certificates.chain import ChainOfTrustCheck
from registration.certificates.loading import load_certificate_bundle
from registration.certificates.revocation import RevocationPolicy
from tests.support import pki
from tests.support.limbo import findings_for, limbo_case
from tests.support.pki_chain import Issued, make_intermediate, make_root, make_signing_leaf


def failed(findings: list[Finding]) -> set[str]:
    return {finding.code for finding in findings if not finding.ok}


def context(*intermediates: x509.Certificate) -> VerificationContext:
    return VerificationContext(
        expected_cedula="1714307103",
        expected_ruc="1790011674001",
        at=datetime.now(UTC),
        intermediates=intermediates,
    )


def checker(root: Issued) -> ChainOfTrustCheck:
    return ChainOfTrustCheck(
        trust_anchors=[root.cert], revocation=RevocationPolicy(mode="disabled"), crl_source=None
    )


@pytest.fixture(scope="module")
def root() -> Issued:
    return make_root("Autoridad Raíz de Pruebas")


@pytest.fixture(scope="module")
def sub_ca(root: Issued) -> Issued:
    return make_intermediate(root, "Autoridad Subordinada de Pruebas")


# --- A certificate that can sign certificates is not a holder's -------------------------


def test_the_loader_refuses_a_holder_with_key_cert_sign_and_ca_false(sub_ca: Issued) -> None:
    holder = make_signing_leaf(sub_ca, usage=("digital_signature", "key_cert_sign"))

    with pytest.raises(CertificateFileError) as error:
        load_certificate_bundle(holder.der)

    assert error.value.code == "ca_certificate"


def test_the_chain_refuses_a_holder_with_key_cert_sign_and_ca_false(
    root: Issued, sub_ca: Issued
) -> None:
    holder = make_signing_leaf(sub_ca, usage=("digital_signature", "key_cert_sign"))

    findings = checker(root).run(holder.cert, context(sub_ca.cert))

    assert "chain.leaf_is_ca" in failed(findings)
    assert "chain.ok" not in {finding.code for finding in findings}


def test_limbo_leaf_ku_keycertsign_is_refused_as_holder() -> None:
    findings = findings_for(limbo_case("rfc5280::leaf-ku-keycertsign"))

    assert "chain.leaf_is_ca" in failed(findings)


def test_a_plain_signing_holder_is_still_accepted(root: Issued, sub_ca: Issued) -> None:
    holder = make_signing_leaf(sub_ca)

    assert failed(checker(root).run(holder.cert, context(sub_ca.cert))) == set()
    assert load_certificate_bundle(holder.der).leaf == holder.cert


# --- No input ends in an exception ---------------------------------------------------------


def test_limbo_othername_name_constraints_are_judged_not_an_exception() -> None:
    # pyhanko raised TypeError hashing an otherName subtree; cryptography's verifier judges it.
    noop = findings_for(limbo_case("rfc5280::nc::nc-forbids-othername-noop"))
    forbidden = findings_for(limbo_case("rfc5280::nc::nc-forbids-othername"))

    assert failed(noop) == set()  # the exclusion names no otherName the holder has
    assert "chain.ok" in {finding.code for finding in noop}
    assert failed(forbidden) == {"chain.invalid", "revocation.not_checked"}


# --- RFC 5480: named curves only ---------------------------------------------------------


def test_limbo_explicit_curve_keys_are_refused() -> None:
    # cryptography silently maps these explicit parameters to P-256.
    findings = findings_for(limbo_case("webpki::explicit-curve"))

    weak = [f for f in findings if f.code == "chain.weak_algorithm"]
    assert weak and not weak[0].ok
    assert "parámetros explícitos" in weak[0].message
    assert "chain.ok" not in {finding.code for finding in findings}


def test_an_ecuadorian_holder_with_an_explicit_curve_key_is_refused(
    root: Issued, sub_ca: Issued
) -> None:
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from tests.support.limbo import leaf

    explicit = leaf(limbo_case("webpki::explicit-curve"))
    holder = make_signing_leaf(sub_ca)
    parsed = asn1_x509.Certificate.load(holder.cert.public_bytes(serialization.Encoding.DER))
    tbs = parsed["tbs_certificate"]
    tbs["subject_public_key_info"] = asn1_x509.Certificate.load(
        explicit.public_bytes(serialization.Encoding.DER)
    )["tbs_certificate"]["subject_public_key_info"]
    data = tbs.dump(force=True)
    assert isinstance(sub_ca.key, ec.EllipticCurvePrivateKey)
    signature = sub_ca.key.sign(data, ec.ECDSA(hashes.SHA256()))
    rebuilt = x509.load_der_x509_certificate(
        asn1_x509.Certificate(
            {
                "tbs_certificate": tbs,
                "signature_algorithm": parsed["signature_algorithm"],
                "signature_value": signature,
            }
        ).dump()
    )

    findings = checker(root).run(rebuilt, context(sub_ca.cert))

    assert "chain.weak_algorithm" in failed(findings)
    assert "chain.ok" not in {finding.code for finding in findings}


# --- import_crl ----------------------------------------------------------------------------


@pytest.mark.services
@pytest.mark.django_db
def test_import_crl_refuses_an_expired_crl_and_stores_nothing(
    reference_data: None, test_ca: pki.CertificateAndKey, tmp_path: Path
) -> None:
    from cryptography.hazmat.primitives import hashes, serialization

    from registration.models import CachedCrl

    now = datetime.now(UTC)
    ca_cert, ca_key = test_ca
    expired = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_cert.subject)
        .last_update(now - timedelta(days=10))
        .next_update(now - timedelta(days=3))
        .sign(ca_key, hashes.SHA256())
    )
    crl_file = tmp_path / "vencida.crl"
    crl_file.write_bytes(expired.public_bytes(serialization.Encoding.DER))

    with pytest.raises(CommandError, match="La CRL está vencida"):
        call_command("import_crl", str(crl_file), stdout=StringIO())

    assert not CachedCrl.objects.exists()


@pytest.mark.parametrize(
    "case_id",
    [
        "rfc5280::eku::ee-eku-empty",
        "rfc5280::san::malformed",
        "rfc5280::duplicate-extensions",
        "webpki::malformed-aia",
        "webpki::nc::intermediate-permitted-excluded-subtrees-both-null",
        "webpki::nc::intermediate-permitted-excluded-subtrees-both-empty-sequences",
    ],
)
def test_limbo_malformed_extensions_are_refused_not_an_error(case_id: str) -> None:
    case = limbo_case(case_id)
    findings = findings_for(case)

    assert case["expected_result"] == "FAILURE"
    assert "chain.error" not in failed(findings)
    assert "chain.malformed" in failed(findings)


# --- The trust anchor's own name constraints count (RFC 5280 §6.1.1(d)) -----------------


def _root_excluding_ecuador() -> Issued:
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    from tests.support.pki_chain import key_usage, new_key

    key = new_key()
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "EC"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Raíz que excluye C=EC"),
        ]
    )
    now = datetime.now(UTC)
    excluded = x509.DirectoryName(x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "EC")]))
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=30))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(key_usage("key_cert_sign", "crl_sign"), critical=True)
        .add_extension(
            x509.NameConstraints(permitted_subtrees=None, excluded_subtrees=[excluded]),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return Issued(cert, key)


def test_a_root_that_excludes_c_ec_does_not_validate_an_ecuadorian_holder() -> None:
    root = _root_excluding_ecuador()
    sub_ca = make_intermediate(root, "Autoridad Subordinada Excluida")
    holder = make_signing_leaf(sub_ca)

    findings = checker(root).run(holder.cert, context(sub_ca.cert))

    assert "chain.invalid" in failed(findings)
    assert "chain.ok" not in {finding.code for finding in findings}


@pytest.mark.parametrize(
    ("case_id", "accepted"),
    [
        ("rfc5280::nc::permitted-dns-mismatch", False),
        ("rfc5280::nc::excluded-dn-match", False),
        ("rfc5280::nc::permitted-dns-match", True),
        ("rfc5280::nc::permitted-dn-match", True),
    ],
)
def test_limbo_root_name_constraints_apply(case_id: str, accepted: bool) -> None:
    case = limbo_case(case_id)
    findings = findings_for(case)

    assert (case["expected_result"] == "SUCCESS") is accepted
    assert (not failed(findings)) is accepted, failed(findings)


@pytest.mark.parametrize(
    ("case_id", "code"),
    [
        ("rfc5280::unknown-critical-extension-root", "chain.invalid"),
        ("rfc5280::root-missing-basic-constraints", "chain.not_ca"),
        ("rfc5280::root-inconsistent-ca-extensions", "chain.not_ca"),
        ("rfc5280::ca-empty-subject", "chain.invalid"),
        ("rfc5280::nc::invalid-ipv4-address", "chain.malformed"),
    ],
)
def test_limbo_the_trust_anchors_own_profile_counts(case_id: str, code: str) -> None:
    case = limbo_case(case_id)
    findings = findings_for(case)

    assert case["expected_result"] == "FAILURE"
    assert code in failed(findings)
    assert "chain.error" not in failed(findings)
