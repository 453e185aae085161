"""Issue 11: path validation by cryptography's verifier under our signing profile (pkix.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from registration.certificates import Finding, VerificationContext
from registration.certificates.chain import ChainOfTrustCheck
from registration.certificates.revocation import RevocationPolicy
from tests.support.limbo import findings_for, limbo_case
from tests.support.pki_chain import (
    Issued,
    key_usage,
    make_intermediate,
    make_root,
    make_signing_leaf,
    new_key,
)


def failed(findings: list[Finding]) -> set[str]:
    return {finding.code for finding in findings if not finding.ok}


def codes(findings: list[Finding]) -> set[str]:
    return {finding.code for finding in findings}


def run(root: Issued, holder: Issued, *chain: x509.Certificate) -> list[Finding]:
    check = ChainOfTrustCheck(
        trust_anchors=[root.cert], revocation=RevocationPolicy(mode="disabled"), crl_source=None
    )
    context = VerificationContext(
        expected_cedula="", expected_ruc="", at=datetime.now(UTC), intermediates=chain
    )
    return check.run(holder.cert, context)


def _ca(
    name: str,
    *,
    issuer: Issued | None = None,
    constraints_critical: bool = True,
    name_constraints: x509.NameConstraints | None = None,
) -> Issued:
    key = new_key()
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "EC"),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=30))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(
            x509.BasicConstraints(ca=True, path_length=None), critical=constraints_critical
        )
        .add_extension(key_usage("key_cert_sign", "crl_sign"), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
    if name_constraints is not None:
        builder = builder.add_extension(name_constraints, critical=True)
    signer = issuer.key if issuer is not None else key
    return Issued(builder.sign(signer, hashes.SHA256()), key)


def test_an_ecuadorian_chain_is_validated() -> None:
    root = make_root("Raíz de Pruebas")
    sub = make_intermediate(root, "Subordinada de Pruebas")
    findings = run(root, make_signing_leaf(sub), sub.cert)

    assert failed(findings) == set()
    assert {"chain.ok", "chain.path"} <= codes(findings)


@pytest.mark.parametrize(("country", "accepted"), [("EC", True), ("PE", False)])
def test_a_root_that_permits_only_one_country_judges_an_ecuadorian_holder(
    country: str, accepted: bool
) -> None:
    # cryptography's verifier can't evaluate directoryName constraints; pyhanko judges them.
    permitted = x509.DirectoryName(x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, country)]))
    root = _ca(
        f"Raíz solo para {country}",
        name_constraints=x509.NameConstraints(
            permitted_subtrees=[permitted], excluded_subtrees=None
        ),
    )
    sub = make_intermediate(root, "Subordinada Ecuatoriana")

    findings = run(root, make_signing_leaf(sub), sub.cert)

    assert failed(findings) == (set() if accepted else {"chain.invalid", "revocation.not_checked"})
    assert ("chain.ok" in codes(findings)) is accepted


def test_an_intermediate_with_non_critical_basic_constraints_is_refused() -> None:
    root = _ca("Raíz de Pruebas BC")
    sub = _ca("Subordinada BC no crítica", issuer=root, constraints_critical=False)

    findings = run(root, make_signing_leaf(sub), sub.cert)

    assert "chain.invalid" in failed(findings)
    invalid = next(finding for finding in findings if finding.code == "chain.invalid")
    assert "basicConstraints must be critical" in invalid.message


def test_a_trust_anchor_with_non_critical_basic_constraints_is_tolerated() -> None:
    root = _ca("Raíz antigua BC no crítica", constraints_critical=False)
    sub = make_intermediate(root, "Subordinada de Raíz antigua")

    findings = run(root, make_signing_leaf(sub), sub.cert)

    assert failed(findings) == set()


@pytest.mark.parametrize(
    ("case_id", "code"),
    [
        ("rfc5280::san::underscore-dns", "chain.malformed"),
        ("rfc5280::san::ip-in-dns", "chain.malformed"),
        ("rfc5280::san::noncritical-with-empty-subject", "chain.no_subject"),
        ("cve::cve-2024-0567", "chain.no_subject"),
        # Issue 11: a malformed value must not satisfy a name constraint.
        ("rfc5280::nc::nc-permits-invalid-email-san", "chain.malformed"),
        ("rfc5280::nc::invalid-dnsname-leading-period", "chain.invalid"),
    ],
)
def test_limbo_holders_with_malformed_names_are_refused(case_id: str, code: str) -> None:
    findings = findings_for(limbo_case(case_id))

    assert code in failed(findings)
    assert "chain.ok" not in codes(findings)


def test_limbo_wildcard_dns_names_are_well_formed() -> None:
    assert failed(findings_for(limbo_case("webpki::nc::nc-permits-dns-san-pattern"))) == set()


def test_limbo_fractional_not_after_is_read_to_the_second() -> None:
    # notAfter 00:00:00 UTC, validation at 00:00:00.005: still within the second.
    assert failed(findings_for(limbo_case("rfc5280::validity::notafter-fractional"))) == set()


@pytest.mark.parametrize(
    "case_id", ["pathlen::max-chain-depth-0-exhausted", "pathlen::max-chain-depth-1-exhausted"]
)
def test_limbo_max_chain_depth_is_applied(case_id: str) -> None:
    case = limbo_case(case_id)
    findings = findings_for(case)

    assert case["expected_result"] == "FAILURE"
    assert failed(findings)
    assert "chain.ok" not in codes(findings)


def test_limbo_pathological_same_subject_same_key_chain_is_refused() -> None:
    case = limbo_case("pathological::pathological-chain-same-subject-same-key")
    findings = findings_for(case)

    assert case["expected_result"] == "FAILURE"
    assert failed(findings)
    assert "chain.ok" not in codes(findings)
