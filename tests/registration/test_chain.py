"""Chain of trust and revocation: paths, signing fitness, weak algorithms, CRL/OCSP, bounds."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509

from registration.certificates import (
    CertificateCheck,
    Finding,
    IdentityMatchCheck,
    ValidityWindowCheck,
    VerificationContext,
    verify_certificate,
)
from registration.certificates import chain as chain_module
from registration.certificates.chain import ChainOfTrustCheck
from registration.certificates.revocation import (
    CrlSource,
    FetchError,
    HttpCrlSource,
    InMemoryCrlCache,
    RevocationPolicy,
    StaticCrlSource,
    http_fetch,
)
from registration.certificates.signing_policy import (
    ADOBE_PDF_SIGNING,
    ANY_EXTENDED_KEY_USAGE,
    DOCUMENT_SIGNING,
    MICROSOFT_DOCUMENT_SIGNING,
)
from tests.support.pki_chain import (
    EMAIL_PROTECTION,
    SERVER_AUTH,
    Issued,
    LocalServer,
    local_server,
    make_crl,
    make_intermediate,
    make_root,
    make_signing_leaf,
    ocsp_responder,
    refused_url,
)

DISABLED = RevocationPolicy(mode="disabled")
SOFT = RevocationPolicy(mode="soft-fail", fetch_timeout=2.0)
HARD = RevocationPolicy(mode="hard-fail", fetch_timeout=2.0)
HARD_CRL_ONLY = RevocationPolicy(mode="hard-fail", fetch_timeout=2.0, use_ocsp=False)


def now() -> datetime:
    return datetime.now(UTC)


def context(*intermediates: x509.Certificate, at: datetime | None = None) -> VerificationContext:
    return VerificationContext(
        expected_cedula="1714307103",
        expected_ruc="1790011674001",
        at=at or now(),
        intermediates=tuple(intermediates),
    )


def checker(
    *anchors: Issued,
    extra: Sequence[x509.Certificate] = (),
    policy: RevocationPolicy = DISABLED,
    source: CrlSource | None = None,
) -> ChainOfTrustCheck:
    return ChainOfTrustCheck(
        trust_anchors=[anchor.cert for anchor in anchors],
        extra_intermediates=extra,
        revocation=policy,
        crl_source=source,
    )


def codes(findings: list[Finding]) -> list[str]:
    return [finding.code for finding in findings]


def failed(findings: list[Finding]) -> set[str]:
    return {finding.code for finding in findings if not finding.ok}


def finding(findings: list[Finding], code: str) -> Finding:
    matches = [f for f in findings if f.code == code]
    assert matches, f"no {code} in {codes(findings)}"
    return matches[0]


class FakeClock:
    def __init__(self) -> None:
        self.moment = now()

    def __call__(self) -> datetime:
        return self.moment


@pytest.fixture(scope="module")
def root() -> Issued:
    return make_root("Autoridad Raíz de Pruebas")


@pytest.fixture(scope="module")
def sub_ca(root: Issued) -> Issued:
    return make_intermediate(root, "Autoridad Subordinada de Pruebas")


@pytest.fixture(scope="module")
def holder(sub_ca: Issued) -> Issued:
    return make_signing_leaf(sub_ca)


# --- Paths -----------------------------------------------------------------------------


def test_good_chain_with_the_intermediate_in_the_upload(
    root: Issued, sub_ca: Issued, holder: Issued
) -> None:
    findings = checker(root).run(holder.cert, context(sub_ca.cert))

    assert failed(findings) == set()
    assert codes(findings) == ["chain.ok", "chain.path", "revocation.not_checked"]
    path = finding(findings, "chain.path").message
    assert path.index("Autoridad Raíz de Pruebas") < path.index("Autoridad Subordinada")
    assert "JUAN CARLOS PÉREZ GÓMEZ" in path


def test_good_chain_with_the_intermediate_from_the_store(
    root: Issued, sub_ca: Issued, holder: Issued
) -> None:
    findings = checker(root, extra=[sub_ca.cert]).run(holder.cert, context())

    assert "chain.ok" in codes(findings)
    assert failed(findings) == set()


def test_a_pem_upload_with_its_chain_verifies_end_to_end(
    root: Issued, sub_ca: Issued, holder: Issued
) -> None:
    checks: list[CertificateCheck] = [ValidityWindowCheck(), IdentityMatchCheck(), checker(root)]
    result = verify_certificate(
        holder.pem + sub_ca.pem,
        expected_cedula="1714307103",
        expected_ruc="1790011674001",
        checks=checks,
    )

    assert result.valid, result.reasons
    assert result.identity is not None and result.identity.cedula == "1714307103"
    assert result.identity.ruc == "1790011674001"


def test_without_the_intermediate_the_issuer_is_missing(root: Issued, holder: Issued) -> None:
    findings = checker(root).run(holder.cert, context())

    assert failed(findings) == {"chain.untrusted_root", "revocation.not_checked"}
    assert "Autoridad Subordinada de Pruebas" in finding(findings, "chain.untrusted_root").message


def test_a_chain_to_an_unknown_root_is_untrusted(
    root: Issued, sub_ca: Issued, holder: Issued
) -> None:
    other_root = make_root("Otra Raíz")

    findings = checker(other_root).run(holder.cert, context(sub_ca.cert, root.cert))

    message = finding(findings, "chain.untrusted_root").message
    assert message.startswith(
        "El certificado no proviene de una autoridad de certificación reconocida por el SENAE."
    )
    assert "Autoridad Raíz de Pruebas" in message
    assert "chain.ok" not in codes(findings)


def test_an_expired_holder_certificate_fails(root: Issued, sub_ca: Issued) -> None:
    expired = make_signing_leaf(
        sub_ca, not_before=now() - timedelta(days=800), not_after=now() - timedelta(days=2)
    )

    findings = checker(root).run(expired.cert, context(sub_ca.cert))

    assert "chain.expired" in failed(findings)
    assert finding(findings, "chain.expired").message.startswith("El certificado venció el")
    assert finding(findings, "revocation.not_checked").ok is False


def test_a_holder_certificate_not_yet_valid_fails(root: Issued, sub_ca: Issued) -> None:
    future = make_signing_leaf(sub_ca, not_before=now() + timedelta(days=3))

    findings = checker(root).run(future.cert, context(sub_ca.cert))

    assert "chain.not_yet_valid" in failed(findings)
    assert "chain.ok" not in codes(findings)


def test_an_expired_intermediate_breaks_the_chain(root: Issued) -> None:
    old_sub = make_intermediate(
        root,
        "Subordinada Vencida",
        not_before=now() - timedelta(days=900),
        not_after=now() - timedelta(days=1),
    )
    leaf = make_signing_leaf(old_sub, not_before=now() - timedelta(days=30))

    findings = checker(root).run(leaf.cert, context(old_sub.cert))

    assert "chain.expired" in failed(findings)
    assert "«Subordinada Vencida» venció" in finding(findings, "chain.expired").message


def test_an_intermediate_without_ca_rights_breaks_the_chain(root: Issued) -> None:
    not_a_ca = make_intermediate(root, "Entidad Sin Derechos de CA", ca=False)
    leaf = make_signing_leaf(not_a_ca)

    findings = checker(root).run(leaf.cert, context(not_a_ca.cert))

    assert "chain.not_ca" in failed(findings)
    assert "Entidad Sin Derechos de CA" in finding(findings, "chain.not_ca").message
    assert "chain.ok" not in codes(findings)


# --- Fitness for signing -----------------------------------------------------------------


def test_key_encipherment_only_is_not_fit_for_signing(root: Issued, sub_ca: Issued) -> None:
    leaf = make_signing_leaf(sub_ca, usage=("key_encipherment",))

    findings = checker(root).run(leaf.cert, context(sub_ca.cert))

    assert failed(findings) >= {"chain.key_usage"}
    assert "keyEncipherment" in finding(findings, "chain.key_usage").message


def test_without_key_usage_extension_the_leaf_is_accepted(root: Issued, sub_ca: Issued) -> None:
    leaf = make_signing_leaf(sub_ca, usage=None)

    assert "chain.ok" in codes(checker(root).run(leaf.cert, context(sub_ca.cert)))


def test_server_auth_only_extended_key_usage_is_refused(root: Issued, sub_ca: Issued) -> None:
    leaf = make_signing_leaf(sub_ca, eku=[SERVER_AUTH])

    findings = checker(root).run(leaf.cert, context(sub_ca.cert))

    assert "chain.eku" in failed(findings)
    assert "serverAuth" in finding(findings, "chain.eku").message


@pytest.mark.parametrize(
    "eku",
    [
        None,
        [EMAIL_PROTECTION],
        [x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH],
        [DOCUMENT_SIGNING],
        [MICROSOFT_DOCUMENT_SIGNING],
        [ADOBE_PDF_SIGNING],
        [ANY_EXTENDED_KEY_USAGE],
        [SERVER_AUTH, EMAIL_PROTECTION],
    ],
    ids=["none", "email", "client", "doc", "ms-doc", "adobe", "any", "server+email"],
)
def test_signing_extended_key_usages_are_accepted(
    root: Issued, sub_ca: Issued, eku: list[x509.ObjectIdentifier] | None
) -> None:
    leaf = make_signing_leaf(sub_ca, eku=eku)

    findings = checker(root).run(leaf.cert, context(sub_ca.cert))

    assert "chain.ok" in codes(findings)
    assert failed(findings) == set()


# --- Weak algorithms -----------------------------------------------------------------------


def test_a_sha1_signed_leaf_is_refused(root: Issued, sub_ca: Issued) -> None:
    leaf = make_signing_leaf(sub_ca, hash_name="sha1")
    assert leaf.cert.signature_hash_algorithm is not None
    assert leaf.cert.signature_hash_algorithm.name == "sha1"

    findings = checker(root).run(leaf.cert, context(sub_ca.cert))

    assert "chain.weak_algorithm" in failed(findings)
    assert "SHA-1" in finding(findings, "chain.weak_algorithm").message
    assert "chain.ok" not in codes(findings)


def test_an_md5_signed_leaf_is_refused() -> None:
    rsa_root = make_root("Raíz RSA", key_kind="rsa2048")
    rsa_sub = make_intermediate(rsa_root, "Subordinada RSA", key_kind="rsa2048")
    leaf = make_signing_leaf(rsa_sub, hash_name="md5")

    findings = checker(rsa_root).run(leaf.cert, context(rsa_sub.cert))

    assert "chain.weak_algorithm" in failed(findings)
    assert "MD5" in finding(findings, "chain.weak_algorithm").message


def test_a_sha1_signed_intermediate_is_refused(root: Issued) -> None:
    sha1_sub = make_intermediate(root, "Subordinada SHA1", hash_name="sha1")
    leaf = make_signing_leaf(sha1_sub)

    findings = checker(root).run(leaf.cert, context(sha1_sub.cert))

    assert "chain.weak_algorithm" in failed(findings)
    assert "Subordinada SHA1" in finding(findings, "chain.weak_algorithm").message


@pytest.mark.parametrize(("kind", "shown"), [("rsa1024", "RSA de 1024"), ("ec192", "192 bits")])
def test_weak_leaf_keys_are_refused(root: Issued, sub_ca: Issued, kind: str, shown: str) -> None:
    leaf = make_signing_leaf(sub_ca, key_kind=kind)  # type: ignore[arg-type]

    findings = checker(root).run(leaf.cert, context(sub_ca.cert))

    assert "chain.weak_algorithm" in failed(findings)
    assert shown in finding(findings, "chain.weak_algorithm").message


def test_an_rsa_2048_leaf_is_accepted(root: Issued, sub_ca: Issued) -> None:
    leaf = make_signing_leaf(sub_ca, key_kind="rsa2048")

    assert failed(checker(root).run(leaf.cert, context(sub_ca.cert))) == set()


def test_a_weak_rsa_root_is_refused() -> None:
    weak_root = make_root("Raíz RSA 1024", key_kind="rsa1024")
    sub = make_intermediate(weak_root, "Sub de Raíz Débil")
    leaf = make_signing_leaf(sub)

    findings = checker(weak_root).run(leaf.cert, context(sub.cert))

    assert "chain.weak_algorithm" in failed(findings)
    assert "Raíz RSA 1024" in finding(findings, "chain.weak_algorithm").message


# --- Revocation over HTTP ---------------------------------------------------------------------


def revocable_chain(server: LocalServer, root: Issued) -> tuple[Issued, Issued]:
    """A sub-CA (its CRL at /root.crl) and a holder (its CRL at /sub.crl) for ``server``."""
    sub = make_intermediate(root, "Subordinada con CRL", crl_urls=[server.url("/root.crl")])
    leaf = make_signing_leaf(sub, crl_urls=[server.url("/sub.crl")])
    return sub, leaf


def http_source(**options: object) -> HttpCrlSource:
    return HttpCrlSource(cache=InMemoryCrlCache(), timeout=2.0, **options)  # type: ignore[arg-type]


def test_crls_over_http_say_good(root: Issued) -> None:
    with local_server() as server:
        sub, leaf = revocable_chain(server, root)
        server.routes["/root.crl"] = make_crl(root)
        server.routes["/sub.crl"] = make_crl(sub)

        findings = checker(root, policy=HARD, source=http_source()).run(
            leaf.cert, context(sub.cert)
        )

    assert finding(findings, "revocation.good").ok
    assert failed(findings) == set()
    assert server.hits == {"/root.crl": 1, "/sub.crl": 1}


def test_a_holder_revoked_in_the_http_crl_is_refused(root: Issued) -> None:
    revoked_at = datetime(2026, 2, 1, 15, 0, tzinfo=UTC)
    with local_server() as server:
        sub, leaf = revocable_chain(server, root)
        server.routes["/root.crl"] = make_crl(root)
        server.routes["/sub.crl"] = make_crl(
            sub, revoked=[(leaf.cert, revoked_at, x509.ReasonFlags.key_compromise)]
        )

        findings = checker(root, policy=SOFT, source=http_source()).run(
            leaf.cert, context(sub.cert)
        )

    revoked = finding(findings, "revocation.revoked")
    assert revoked.ok is False
    assert revoked.message.startswith(
        "El certificado fue revocado por su emisor el 01/02/2026 (motivo: keyCompromise"
    )
    assert server.hits["/sub.crl"] == 1


def test_a_revoked_intermediate_is_named(root: Issued) -> None:
    with local_server() as server:
        sub, leaf = revocable_chain(server, root)
        server.routes["/root.crl"] = make_crl(
            root,
            revoked=[(sub.cert, now() - timedelta(days=2), x509.ReasonFlags.ca_compromise)],
        )
        server.routes["/sub.crl"] = make_crl(sub)

        findings = checker(root, policy=SOFT, source=http_source()).run(
            leaf.cert, context(sub.cert)
        )

    message = finding(findings, "revocation.revoked").message
    assert "«Subordinada con CRL» fue revocado" in message
    assert "cACompromise" in message


def test_an_unreachable_crl_soft_fails(root: Issued) -> None:
    sub = make_intermediate(root, "Subordinada Inalcanzable")
    leaf = make_signing_leaf(sub, crl_urls=[refused_url()])

    findings = checker(root, policy=SOFT, source=http_source()).run(leaf.cert, context(sub.cert))

    unknown = finding(findings, "revocation.unknown_soft_fail")
    assert unknown.ok is True
    assert "no se pudo obtener la lista de revocación" in unknown.message
    assert failed(findings) == set()


def test_an_unreachable_crl_hard_fails(root: Issued) -> None:
    sub = make_intermediate(root, "Subordinada Inalcanzable")
    leaf = make_signing_leaf(sub, crl_urls=[refused_url()])

    findings = checker(root, policy=HARD, source=http_source()).run(leaf.cert, context(sub.cert))

    assert failed(findings) == {"revocation.unknown_hard_fail"}
    assert "chain.ok" in codes(findings)


def test_a_leaf_that_declares_no_revocation_service_is_unknown(
    root: Issued, sub_ca: Issued
) -> None:
    leaf = make_signing_leaf(sub_ca)

    findings = checker(root, policy=HARD, source=http_source()).run(leaf.cert, context(sub_ca.cert))

    assert "no indica dónde consultar" in finding(findings, "revocation.unknown_hard_fail").message


@pytest.mark.parametrize(
    ("policy", "expected"),
    [(SOFT, "revocation.unknown_soft_fail"), (HARD, "revocation.unknown_hard_fail")],
)
def test_a_crl_signed_by_the_wrong_key_is_not_good(
    root: Issued, policy: RevocationPolicy, expected: str
) -> None:
    with local_server() as server:
        sub, leaf = revocable_chain(server, root)
        server.routes["/root.crl"] = make_crl(root)
        impostor = make_root("Impostor")
        server.routes["/sub.crl"] = make_crl(sub, signing_key=impostor.key)

        findings = checker(root, policy=policy, source=http_source()).run(
            leaf.cert, context(sub.cert)
        )

    assert "revocation.good" not in codes(findings)
    assert expected in codes(findings)
    assert "no es válida" in finding(findings, expected).message


def test_a_forged_crl_from_a_known_issuer_is_neither_returned_nor_cached(root: Issued) -> None:
    with local_server() as server:
        sub, leaf = revocable_chain(server, root)
        server.routes["/sub.crl"] = make_crl(sub, signing_key=make_root("Impostor").key)
        cache = InMemoryCrlCache()
        source = HttpCrlSource(cache, timeout=2.0, issuers=[sub.cert], failure_backoff=timedelta(0))

        assert source.crls_for(leaf.cert) == []
        assert cache.get(server.url("/sub.crl")) is None

        server.routes["/sub.crl"] = make_crl(sub)
        assert len(source.crls_for(leaf.cert)) == 1
        assert cache.get(server.url("/sub.crl")) is not None


def test_a_failed_crl_url_is_not_retried_at_once(sub_ca: Issued) -> None:
    clock = FakeClock()
    with local_server() as server:
        server.routes["/down.crl"] = (503, {}, b"")
        leaf = make_signing_leaf(sub_ca, crl_urls=[server.url("/down.crl")])
        source = HttpCrlSource(InMemoryCrlCache(), timeout=2.0, clock=clock)

        assert source.crls_for(leaf.cert) == []
        assert source.crls_for(leaf.cert) == []
        assert server.hits["/down.crl"] == 1

        server.routes["/down.crl"] = make_crl(sub_ca)
        clock.moment += timedelta(minutes=2)
        assert len(source.crls_for(leaf.cert)) == 1
        assert server.hits["/down.crl"] == 2


def test_a_stale_crl_does_not_count_as_good(root: Issued) -> None:
    with local_server() as server:
        sub, leaf = revocable_chain(server, root)
        server.routes["/root.crl"] = make_crl(root)
        server.routes["/sub.crl"] = make_crl(
            sub,
            this_update=now() - timedelta(days=10),
            next_update=now() - timedelta(days=3),
        )

        findings = checker(root, policy=HARD, source=http_source()).run(
            leaf.cert, context(sub.cert)
        )

    assert "revocation.unknown_hard_fail" in failed(findings)


def test_the_cache_serves_a_fresh_crl_and_refetches_after_next_update(root: Issued) -> None:
    clock = FakeClock()
    with local_server() as server:
        sub, leaf = revocable_chain(server, root)
        server.routes["/root.crl"] = make_crl(root)
        server.routes["/sub.crl"] = make_crl(sub, next_update=now() + timedelta(hours=6))
        source = HttpCrlSource(InMemoryCrlCache(clock=clock), timeout=2.0, clock=clock)
        check = checker(root, policy=HARD, source=source)

        for _ in range(2):
            assert "revocation.good" in codes(check.run(leaf.cert, context(sub.cert)))
        assert server.hits["/sub.crl"] == 1

        clock.moment += timedelta(hours=7)
        assert len(source.crls_for(leaf.cert)) == 1
        assert server.hits["/sub.crl"] == 2


def test_the_cache_keeps_a_crl_no_longer_than_max_cache_age(root: Issued) -> None:
    stored: list[datetime | None] = []

    class RecordingCache(InMemoryCrlCache):
        def put(self, url: str, der: bytes, next_update: datetime | None) -> None:
            stored.append(next_update)
            super().put(url, der, next_update)

    with local_server() as server:
        sub, leaf = revocable_chain(server, root)
        server.routes["/sub.crl"] = make_crl(sub, next_update=now() + timedelta(days=30))
        source = HttpCrlSource(RecordingCache(), timeout=2.0, max_cache_age=timedelta(hours=1))
        source.crls_for(leaf.cert)

    assert len(stored) == 1 and stored[0] is not None
    assert stored[0] <= now() + timedelta(hours=1)


def test_an_offline_crl_revokes(root: Issued) -> None:
    sub = make_intermediate(root, "Subordinada Sin Conexión")
    leaf = make_signing_leaf(sub, crl_urls=[refused_url()])
    crl = make_crl(
        sub, revoked=[(leaf.cert, now() - timedelta(hours=1), x509.ReasonFlags.superseded)]
    )

    findings = checker(root, policy=HARD, source=StaticCrlSource([crl])).run(
        leaf.cert, context(sub.cert)
    )

    assert "superseded" in finding(findings, "revocation.revoked").message


def test_disabled_revocation_says_so_and_fetches_nothing(root: Issued) -> None:
    with local_server() as server:
        sub, leaf = revocable_chain(server, root)
        server.routes["/sub.crl"] = make_crl(sub)

        findings = checker(root, policy=DISABLED, source=http_source()).run(
            leaf.cert, context(sub.cert)
        )

    not_checked = finding(findings, "revocation.not_checked")
    assert not_checked.ok is True
    assert "desactivada" in not_checked.message
    assert sum(server.hits.values()) == 0


# --- OCSP ----------------------------------------------------------------------------------


def ocsp_chain(server: LocalServer, root: Issued) -> tuple[Issued, Issued]:
    sub = make_intermediate(root, "Subordinada con OCSP")
    leaf = make_signing_leaf(sub, crl_urls=[refused_url()], ocsp_url=server.url("/ocsp"))
    return sub, leaf


def test_ocsp_good_is_enough_when_the_crl_is_unreachable(root: Issued) -> None:
    with local_server() as server:
        sub, leaf = ocsp_chain(server, root)
        server.routes["/ocsp"] = ocsp_responder(sub)

        findings = checker(root, policy=HARD, source=http_source()).run(
            leaf.cert, context(sub.cert)
        )

    assert "revocation.good" in codes(findings)
    assert server.hits["/ocsp"] == 1


def test_ocsp_revoked_is_refused(root: Issued) -> None:
    with local_server() as server:
        sub, leaf = ocsp_chain(server, root)
        when = now() - timedelta(days=1)
        server.routes["/ocsp"] = ocsp_responder(
            sub, revoked={leaf.cert.serial_number: (when, x509.ReasonFlags.key_compromise)}
        )

        findings = checker(root, policy=SOFT, source=http_source()).run(
            leaf.cert, context(sub.cert)
        )

    assert "keyCompromise" in finding(findings, "revocation.revoked").message


def test_ocsp_is_not_asked_when_the_policy_turns_it_off(root: Issued) -> None:
    with local_server() as server:
        sub, leaf = ocsp_chain(server, root)
        server.routes["/ocsp"] = ocsp_responder(sub)

        findings = checker(root, policy=HARD_CRL_ONLY, source=http_source()).run(
            leaf.cert, context(sub.cert)
        )

    assert "revocation.unknown_hard_fail" in failed(findings)
    assert server.hits["/ocsp"] == 0


# --- HTTP hardening --------------------------------------------------------------------------


def test_only_http_distribution_points_are_fetched(root: Issued, sub_ca: Issued) -> None:
    leaf = make_signing_leaf(sub_ca, crl_urls=["file:///etc/hostname", "ldap://ldap.example/x"])

    assert http_source().crls_for(leaf.cert) == []


def test_a_redirect_to_a_non_http_scheme_is_not_followed(sub_ca: Issued) -> None:
    with local_server() as server:
        server.routes["/crl"] = (302, {"Location": "file:///etc/hostname"}, b"")
        leaf = make_signing_leaf(sub_ca, crl_urls=[server.url("/crl")])

        assert http_source().crls_for(leaf.cert) == []
        assert server.hits["/crl"] == 1


def test_a_crl_larger_than_the_limit_is_dropped(sub_ca: Issued) -> None:
    with local_server() as server:
        server.routes["/big.crl"] = make_crl(sub_ca) + b"\0" * 4096
        leaf = make_signing_leaf(sub_ca, crl_urls=[server.url("/big.crl")])

        assert http_source(max_bytes=1024).crls_for(leaf.cert) == []


def test_a_slow_server_does_not_hold_the_caller() -> None:
    with local_server({"/slow.crl": b"x"}, delay=3.0) as server:
        started = time.perf_counter()
        with pytest.raises(FetchError):
            http_fetch(server.url("/slow.crl"), timeout=0.3, max_bytes=1024)
        assert time.perf_counter() - started < 2.0


# --- Pathological input --------------------------------------------------------------------------


def test_fifty_uploaded_intermediates_answer_quickly(root: Issued) -> None:
    authorities = [root]
    for index in range(50):
        authorities.append(make_intermediate(authorities[-1], f"Intermedia {index:02d}"))
    leaf = make_signing_leaf(authorities[-1])
    upload = [authority.cert for authority in reversed(authorities[1:])]
    check = checker(root, policy=HARD, source=http_source())

    started = time.perf_counter()
    findings = check.run(leaf.cert, context(*upload))
    elapsed = time.perf_counter() - started

    assert elapsed < 1.0
    assert "chain.too_long" in failed(findings)
    assert "chain.ok" not in codes(findings)

    started = time.perf_counter()
    findings = checker(root, extra=upload).run(leaf.cert, context())
    assert time.perf_counter() - started < 1.0
    assert "chain.too_long" in failed(findings)


def test_a_loop_of_intermediates_answers_quickly(root: Issued) -> None:
    a_named, b_named = make_root("Bucle A"), make_root("Bucle B")
    a = make_intermediate(b_named, "Bucle A", key=a_named.key)  # A issued by B
    b = make_intermediate(a_named, "Bucle B", key=b_named.key)  # B issued by A
    leaf = make_signing_leaf(a)

    started = time.perf_counter()
    findings = checker(root).run(leaf.cert, context(a.cert, b.cert))

    assert time.perf_counter() - started < 1.0
    assert "chain.untrusted_root" in failed(findings)


def test_many_look_alike_and_unrelated_certificates_answer_quickly(root: Issued) -> None:
    # Ten self-issued CA certificates sharing one name and one key all verify each
    # other: an unbounded search would walk their permutations.
    clique_root = make_root("Camarilla")
    clique = [make_intermediate(clique_root, "Camarilla", key=clique_root.key) for _ in range(10)]
    leaf = make_signing_leaf(clique[0])
    unrelated = [make_intermediate(root, f"Ajena {index}").cert for index in range(60)]

    started = time.perf_counter()
    findings = checker(root, extra=unrelated).run(leaf.cert, context(*[c.cert for c in clique]))

    assert time.perf_counter() - started < 1.0
    assert "chain.ok" not in codes(findings)
    assert failed(findings) & {"chain.too_long", "chain.untrusted_root"}


# --- Robustness -----------------------------------------------------------------------------------


def test_run_works_inside_a_running_event_loop_and_leaves_none(
    root: Issued, sub_ca: Issued, holder: Issued
) -> None:
    async def from_async_code() -> list[Finding]:
        return checker(root).run(holder.cert, context(sub_ca.cert))

    assert "chain.ok" in codes(asyncio.run(from_async_code()))
    with pytest.raises(RuntimeError):
        asyncio.get_running_loop()


def test_run_leaves_the_thread_event_loop_alone(
    root: Issued, sub_ca: Issued, holder: Issued
) -> None:
    seen: list[object] = []

    def in_a_thread_with_a_loop() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            seen.append(codes(checker(root).run(holder.cert, context(sub_ca.cert))))
            current = asyncio.get_event_loop_policy().get_event_loop()
            seen.append(current is loop and not loop.is_closed() and not loop.is_running())
        finally:
            asyncio.set_event_loop(None)
            loop.close()

    worker = threading.Thread(target=in_a_thread_with_a_loop)
    worker.start()
    worker.join(10)

    assert seen == [["chain.ok", "chain.path", "revocation.not_checked"], True]


def test_run_works_from_a_plain_thread(root: Issued, sub_ca: Issued, holder: Issued) -> None:
    results: list[list[Finding]] = []
    worker = threading.Thread(
        target=lambda: results.append(checker(root).run(holder.cert, context(sub_ca.cert)))
    )
    worker.start()
    worker.join(10)

    assert results and "chain.ok" in codes(results[0])


def test_a_failing_crl_source_is_unknown_not_an_exception(root: Issued, sub_ca: Issued) -> None:
    class BrokenSource:
        def crls_for(self, cert: x509.Certificate) -> list[bytes]:
            raise RuntimeError("database down")

    leaf = make_signing_leaf(sub_ca, crl_urls=["http://127.0.0.1:9/ca.crl"])

    findings = checker(root, policy=SOFT, source=BrokenSource()).run(
        leaf.cert, context(sub_ca.cert)
    )

    assert "revocation.unknown_soft_fail" in codes(findings)


def test_an_internal_error_becomes_a_failed_finding(
    root: Issued, holder: Issued, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(self: object, leaf: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(chain_module.PathFinder, "search", explode)

    findings = checker(root).run(holder.cert, context())

    assert codes(findings) == ["chain.error", "revocation.not_checked"]
    assert failed(findings) == {"chain.error", "revocation.not_checked"}


def test_an_error_while_checking_revocation_is_unknown_and_keeps_the_chain_verdict(
    root: Issued, sub_ca: Issued, holder: Issued, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(**kwargs: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(chain_module, "assess_revocation", explode)

    findings = checker(root, policy=HARD, source=http_source()).run(
        holder.cert, context(sub_ca.cert)
    )

    assert codes(findings) == ["chain.ok", "chain.path", "revocation.unknown_hard_fail"]


def test_revocation_policy_refuses_unknown_modes() -> None:
    with pytest.raises(ValueError, match="revocation mode"):
        RevocationPolicy(mode="maybe")  # type: ignore[arg-type]


def test_the_memory_cache_expires_entries_and_keeps_no_undated_crl() -> None:
    clock = FakeClock()
    cache = InMemoryCrlCache(clock=clock)
    cache.put("http://a/crl", b"one", clock.moment + timedelta(minutes=5))
    cache.put("http://b/crl", b"two", None)

    assert cache.get("http://a/crl") == b"one"
    assert cache.get("http://b/crl") is None
    clock.moment += timedelta(minutes=6)
    assert cache.get("http://a/crl") is None
