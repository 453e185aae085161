"""bench/certificate_speed.py: each measured operation gives the verdict the bench relies on.

No timing is asserted: the measurement functions run once with a tiny budget so
the script can't silently rot when the verifier changes.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.x509.verification import VerificationError

from bench import certificate_speed as bench

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def chain() -> bench.Chain:
    return bench.chain_build()


def test_every_operation_accepts_the_chain_and_is_measured(
    chain: bench.Chain, capsys: pytest.CaptureFixture[str]
) -> None:
    bench.crls_store(chain)
    ops = bench.operations(chain, datetime.now(UTC))
    assert sorted(ops) == ["a", "b", "c", "d", "e"]
    for operation in ops.values():
        operation()  # raises on any verdict but acceptance (and revocation.good for d)
    rates = bench.rounds_run(ops, seconds=0.005, rounds=1)
    assert sorted(rates) == sorted(ops)
    assert all(rate > 0 for rate in rates.values())
    bench.report(rates)
    printed = capsys.readouterr().out
    assert "project (revocation off) / bare = " in printed
    assert "project (revocation on) / bare = " in printed


def test_a_revoked_leaf_fails_the_revocation_measurement(chain: bench.Chain) -> None:
    revoked = bench.chain_build(revoke_leaf=True)
    bench.crls_store(revoked)
    ops = bench.operations(revoked, datetime.now(UTC))
    ops["c"]()  # revocation off: still accepted
    with pytest.raises(bench.BenchError, match=r"revocation\.revoked"):
        ops["d"]()


def test_an_untrusted_root_fails_every_measurement(chain: bench.Chain) -> None:
    stranger = bench.chain_build()  # same names, other keys
    forged = dataclasses.replace(chain, root=stranger.root)
    bench.crls_store(forged)
    ops = bench.operations(forged, datetime.now(UTC))
    with pytest.raises(InvalidSignature):
        ops["a"]()
    with pytest.raises(VerificationError):
        ops["b"]()
    for name in "cde":
        with pytest.raises(bench.BenchError, match=r"chain\.untrusted_root"):
            ops[name]()
