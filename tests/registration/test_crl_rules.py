"""Issue 11: CRL-only revocation (crl_status.py) on limbo's CRL cases and its caches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from registration.certificates.crl_status import PARSED, crl_verdict
from tests.support.limbo import findings_for, limbo_case
from tests.support.pki_chain import Issued, make_crl, make_root, make_signing_leaf

LIMBO_CRL_CASES = [
    ("crl::revoked-certificate-with-crl", "revocation.revoked"),
    ("crl::crlnumber-missing", "revocation.unknown_hard_fail"),
    ("crl::crlnumber-critical", "revocation.unknown_hard_fail"),
    ("crl::issuer-missing-crlsign", "revocation.unknown_hard_fail"),
    ("crl::certificate-not-on-crl", "revocation.good"),
    ("crl::certificate-serial-on-crl-different-issuer", "revocation.good"),
    ("crl::issuer-no-keyusage-extension", "revocation.good"),
    ("crl::issuer-valid-crlsign-and-keycertsign", "revocation.good"),
]


@pytest.mark.parametrize(("case_id", "code"), LIMBO_CRL_CASES)
def test_limbo_crl_cases_give_the_expected_revocation_finding(case_id: str, code: str) -> None:
    case = limbo_case(case_id)

    codes = {finding.code for finding in findings_for(case)}

    assert code in codes, codes
    assert ("revocation.good" in codes) is (case["expected_result"] == "SUCCESS")


def _crl_without_number(issuer: Issued) -> bytes:
    now = datetime.now(UTC)
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.cert.subject)
        .last_update(now - timedelta(minutes=10))
        .next_update(now + timedelta(days=1))
        .sign(issuer.key, hashes.SHA256())
    )
    return crl.public_bytes(serialization.Encoding.DER)


def test_a_cached_signature_check_does_not_vouch_for_another_key_with_the_same_name() -> None:
    root = make_root("Autoridad Homónima")
    impostor = make_root("Autoridad Homónima")  # same subject, another key
    leaf = make_signing_leaf(root)
    crl = make_crl(root)
    now = datetime.now(UTC)

    assert crl_verdict(leaf.cert, root.cert, [crl], now).outcome == "good"
    assert crl_verdict(leaf.cert, impostor.cert, [crl], now).outcome == "unknown"
    # Parsed again from a new bytes object with the same content: the same answers.
    assert crl_verdict(leaf.cert, impostor.cert, [bytes(bytearray(crl))], now).outcome == "unknown"
    assert crl_verdict(leaf.cert, root.cert, [bytes(bytearray(crl))], now).outcome == "good"


def test_a_crl_without_a_number_proves_a_revocation_but_never_good() -> None:
    root = make_root()
    listed = make_signing_leaf(root)
    other = make_signing_leaf(root)
    now = datetime.now(UTC)
    incomplete = _crl_without_number(root)
    revoking = make_crl(
        root, revoked=[(listed.cert, now - timedelta(days=1), x509.ReasonFlags.superseded)]
    )

    assert crl_verdict(other.cert, root.cert, [incomplete], now).outcome == "unknown"
    verdict = crl_verdict(listed.cert, root.cert, [revoking], now)
    assert (verdict.outcome, verdict.reason) == ("revoked", "superseded")


def test_the_same_crl_is_parsed_once_and_its_facts_reused() -> None:
    root = make_root()
    crl = make_crl(root)

    first = PARSED.parse(crl)
    again = PARSED.parse(bytes(bytearray(crl)))  # equal bytes, another object

    assert first is not None
    assert again is first
    assert first.complete and first.scope is None
    assert PARSED.parse(b"not a CRL") is None
