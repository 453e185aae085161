"""The certificate verifier's speed, side by side with bare signature checks and pyca's verifier.

    .venv/bin/python bench/certificate_speed.py [--seconds 20] [--rounds 10]

Builds once, in memory, a 3-certificate RSA-2048 chain shaped like an Ecuadorian
one (root → intermediate → holder: keyUsage digitalSignature + nonRepudiation,
EKU emailProtection, AKI/SKI, CRL distribution points on crl.bench.invalid),
stores a valid CRL per issuer in the database CRL cache, and measures ops/s of:

  a. bare link checks: ``verify_directly_issued_by`` leaf → intermediate → root;
  b. pyca's client verifier, built once, with ``webpki_defaults_*`` extension
     policies except that EKU and SAN may be present at any criticality, not
     validated (the default requires clientAuth whenever an EKU is present);
  c. ``ChainOfTrustCheck`` built once, revocation disabled;
  d. the same, hard-fail, OCSP off, CRLs through ``HttpCrlSource`` from
     ``DatabaseCrlCache`` (a cache miss, i.e. a fetch, fails the run);
  e. as one ``verify_certificate`` CLI run: ``chain_check()`` built per call.

Interleaved rounds (a b c d e a b c d e …) so noise hits all alike; each figure
is the median of the rounds. Every call's verdict is checked (chain.ok, and
revocation.good for d). Targets (issue 11): c ÷ a and d ÷ a ≥ 0.25; exits 1 when
one is missed. DATABASE_URL if set (a PostgreSQL name must contain "bench"),
else a throwaway SQLite file. See bench/README.md.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

if TYPE_CHECKING:
    from registration.certificates.verification import Finding

ROOT = Path(__file__).resolve().parent.parent
ROOT_CRL_URL = "http://crl.bench.invalid/root.crl"
SUB_CRL_URL = "http://crl.bench.invalid/sub.crl"
TARGET_RATIO = 0.25
LABELS = {
    "a": "a. bare links (verify_directly_issued_by ×2)",
    "b": "b. pyca ClientVerifier, built once",
    "c": "c. project, check built once, revocation off",
    "d": "d. project, revocation hard-fail, CRL from DB",
    "e": "e. project as one CLI run (chain_check per call)",
}

Operation = Callable[[], None]


class BenchError(AssertionError):
    """An operation gave a verdict other than the expected one."""


@dataclass(frozen=True)
class Chain:
    root: x509.Certificate
    intermediate: x509.Certificate
    leaf: x509.Certificate
    crls: dict[str, bytes]  # distribution point URL → DER CRL


def chain_build(*, revoke_leaf: bool = False) -> Chain:
    """The RSA-2048 chain and one CRL per issuer (listing the leaf if ``revoke_leaf``)."""
    from cryptography.x509 import ReasonFlags

    from tests.support import pki_chain

    def key() -> rsa.RSAPrivateKey:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)

    root = pki_chain.make_root("AUTORIDAD RAIZ DE BENCH", key=key())
    sub = pki_chain.make_intermediate(
        root,
        "AUTORIDAD SUBORDINADA DE BENCH",
        key=key(),
        crl_urls=[ROOT_CRL_URL],
        authority_key_id=True,
    )
    leaf = pki_chain.make_signing_leaf(sub, key=key(), crl_urls=[SUB_CRL_URL])
    revoked = [(leaf.cert, datetime.now(UTC), ReasonFlags.key_compromise)] if revoke_leaf else []
    crls = {
        ROOT_CRL_URL: pki_chain.make_crl(root),
        SUB_CRL_URL: pki_chain.make_crl(sub, revoked=revoked),
    }
    return Chain(root.cert, sub.cert, leaf.cert, crls)


def crls_store(chain: Chain) -> None:
    """Put the chain's CRLs in the database cache, as a fetch would have."""
    from registration.services.trust import DatabaseCrlCache

    cache = DatabaseCrlCache()
    for url, der in chain.crls.items():
        cache.put(url, der, x509.load_der_x509_crl(der).next_update_utc)


def _expect(findings: list[Finding], wanted: set[str]) -> None:
    codes = {finding.code for finding in findings if finding.ok}
    refused = [finding.code for finding in findings if not finding.ok]
    if refused or not wanted <= codes:
        raise BenchError(f"expected {sorted(wanted)}, got {sorted(codes)}, refused {refused}")


def operations(chain: Chain, at: datetime) -> dict[str, Operation]:
    """The five measured operations (module docstring); each raises unless the chain is accepted."""
    from cryptography.x509.verification import Criticality, ExtensionPolicy, PolicyBuilder, Store

    from registration.certificates.chain import ChainOfTrustCheck
    from registration.certificates.revocation import HttpCrlSource, RevocationPolicy
    from registration.certificates.verification import VerificationContext
    from registration.services.trust import DatabaseCrlCache
    from registration.services.verification import chain_check

    def bare() -> None:
        chain.leaf.verify_directly_issued_by(chain.intermediate)
        chain.intermediate.verify_directly_issued_by(chain.root)

    ee_policy = (
        ExtensionPolicy.webpki_defaults_ee()
        .may_be_present(x509.ExtendedKeyUsage, Criticality.AGNOSTIC, None)
        .may_be_present(x509.SubjectAlternativeName, Criticality.AGNOSTIC, None)
    )
    verifier = (
        PolicyBuilder()
        .store(Store([chain.root]))
        .time(at)
        .extension_policies(ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=ee_policy)
        .build_client_verifier()
    )

    def pyca() -> None:
        if len(verifier.verify(chain.leaf, [chain.intermediate]).chain) != 3:
            raise BenchError("pyca built a path other than leaf → intermediate → root")

    off = RevocationPolicy(mode="disabled")
    upload = VerificationContext(
        expected_cedula="", expected_ruc="", at=at, intermediates=(chain.intermediate,)
    )
    built_once = ChainOfTrustCheck(
        trust_anchors=[chain.root], extra_intermediates=[], revocation=off, crl_source=None
    )

    def project_off() -> None:
        _expect(built_once.run(chain.leaf, upload), {"chain.ok", "revocation.not_checked"})

    class CountingCache(DatabaseCrlCache):
        misses = 0

        def get(self, url: str) -> bytes | None:
            der = super().get(url)
            if der is None:
                self.misses += 1
            return der

    hard_fail = RevocationPolicy(mode="hard-fail", use_ocsp=False)
    cache = CountingCache()
    source = HttpCrlSource.for_policy(hard_fail, cache, issuers=[chain.root, chain.intermediate])
    with_crls = ChainOfTrustCheck(
        trust_anchors=[chain.root], extra_intermediates=[], revocation=hard_fail, crl_source=source
    )

    def project_crl() -> None:
        _expect(with_crls.run(chain.leaf, upload), {"chain.ok", "revocation.good"})
        if cache.misses:
            raise BenchError(f"{cache.misses} CRL cache misses: the CRL was fetched from the net")

    bare_upload = VerificationContext(expected_cedula="", expected_ruc="", at=at)

    def project_cli() -> None:
        check = chain_check(anchors=[chain.root], intermediates=[chain.intermediate], policy=off)
        _expect(check.run(chain.leaf, bare_upload), {"chain.ok", "revocation.not_checked"})

    return {"a": bare, "b": pyca, "c": project_off, "d": project_crl, "e": project_cli}


def measure(operation: Operation, seconds: float) -> float:
    """Operations per second over at least ``seconds`` (and at least one call)."""
    gc.collect()
    count, began = 0, time.perf_counter()
    deadline = began + seconds
    while True:
        operation()
        count += 1
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - began)


def rounds_run(ops: dict[str, Operation], *, seconds: float, rounds: int) -> dict[str, float]:
    """Median ops/s of each operation over ``rounds`` interleaved rounds."""
    from django.db import reset_queries

    slice_seconds = seconds / (rounds * len(ops))
    rates: dict[str, list[float]] = {name: [] for name in ops}
    for _ in range(rounds):
        for name, operation in ops.items():
            rates[name].append(measure(operation, slice_seconds))
            reset_queries()  # DJANGO_DEBUG=true logs every query
    return {name: statistics.median(values) for name, values in rates.items()}


def report(rates: dict[str, float]) -> bool:
    """Print the table and the target lines; True when both targets are met."""
    width = max(map(len, LABELS.values()))
    print(f"{'operation':<{width}}  {'ops/s':>9}  {'µs/op':>9}  {'÷ a':>6}")
    for name, rate in rates.items():
        print(
            f"{LABELS[name]:<{width}}  {rate:>9.1f}  {1e6 / rate:>9.1f}  {rate / rates['a']:>6.3f}"
        )
    met = True
    for name, label in (("c", "revocation off"), ("d", "revocation on")):
        ratio = rates[name] / rates["a"]
        met = met and ratio >= TARGET_RATIO
        verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
        print(f"project ({label}) / bare = {ratio:.3f} (target ≥ {TARGET_RATIO}): {verdict}")
    return met


def configure_environment() -> None:
    """Django with DATABASE_URL, or a throwaway SQLite file; migrated."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workflow.settings")
    os.environ.setdefault("DJANGO_DEBUG", "true")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        from bench.queue_pages import database_create, database_settings

        database_create(database_settings())  # refuses a name without "bench"
    elif not url:
        directory = tempfile.mkdtemp(prefix="ecuapass-bench-speed-")
        atexit.register(shutil.rmtree, directory, ignore_errors=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{directory}/bench.sqlite3"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="total measuring time")
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.rounds < 1:
        parser.error("need --seconds > 0 and --rounds ≥ 1")
    began = time.perf_counter()
    configure_environment()
    from django.db import connection

    chain = chain_build()
    crls_store(chain)
    ops = operations(chain, datetime.now(UTC))
    for operation in ops.values():
        operation()  # warm-up, and a verdict check before any timing
    rates = rounds_run(ops, seconds=args.seconds, rounds=args.rounds)
    print(
        f"RSA-2048, 3 certificates; {args.rounds} interleaved rounds, {args.seconds:g} s of "
        f"measurement, median per operation; database {connection.vendor}:"
    )
    met = report(rates)
    print(f"Total time: {time.perf_counter() - began:.0f} s")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
