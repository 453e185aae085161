"""The public x509-limbo vectors (../shared/testdata/x509-limbo), read in place.

In CI (CI=true) a missing folder fails the tests instead of skipping them.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

REPO_ROOT = Path(__file__).resolve().parents[2]
LIMBO_JSON = REPO_ROOT.parent / "shared" / "testdata" / "x509-limbo" / "limbo.json"


@cache
def _cases() -> dict[str, dict[str, Any]]:
    data = json.loads(LIMBO_JSON.read_text())
    return {case["id"]: case for case in data["testcases"]}


def limbo_case(case_id: str) -> dict[str, Any]:
    if not LIMBO_JSON.is_file():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"x509-limbo vectors missing: {LIMBO_JSON}")
        pytest.skip(f"x509-limbo vectors not found at {LIMBO_JSON}")
    return _cases()[case_id]


def certs(pems: list[str]) -> list[x509.Certificate]:
    return [x509.load_pem_x509_certificate(pem.encode()) for pem in pems]


def leaf(case: dict[str, Any]) -> x509.Certificate:
    return x509.load_pem_x509_certificate(case["peer_certificate"].encode())


def moment(case: dict[str, Any]) -> datetime:
    when = case["validation_time"]
    return datetime.fromisoformat(when) if when else datetime.now(UTC)


def findings_for(case: dict[str, Any]) -> list[Any]:
    """Our chain check on one case, the TLS-server EKU refusal set aside (issue 11)."""
    from unittest import mock

    from registration.certificates import chain as chain_module
    from registration.certificates.revocation import RevocationPolicy, StaticCrlSource
    from registration.certificates.verification import VerificationContext

    real = chain_module.leaf_findings

    def without_eku(*args: Any, **kwargs: Any) -> list[Any]:
        return [f for f in real(*args, **kwargs) if f.code != "chain.eku"]

    depth = {}
    if case["max_chain_depth"] is not None:
        depth["max_intermediates"] = case["max_chain_depth"]
    check = chain_module.ChainOfTrustCheck(
        trust_anchors=certs(case["trusted_certs"]),
        revocation=RevocationPolicy(
            mode="hard-fail" if case["crls"] else "disabled", use_ocsp=False
        ),
        crl_source=StaticCrlSource([_crl_der(pem) for pem in case["crls"]]),
        **depth,
    )
    context = VerificationContext(
        expected_cedula="",
        expected_ruc="",
        at=moment(case),
        intermediates=tuple(certs(case["untrusted_intermediates"])),
    )
    with mock.patch.object(chain_module, "leaf_findings", without_eku):
        return check.run(leaf(case), context)


def _crl_der(pem: str) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return x509.load_pem_x509_crl(pem.encode()).public_bytes(serialization.Encoding.DER)
