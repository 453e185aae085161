"""Revocation: the policy, where CRLs come from (HTTP with a cache, or offline), and the verdict.

``ChainOfTrustCheck`` (chain.py) finds and validates the path; once it is valid,
``assess_revocation`` asks pyhanko-certvalidator whether any certificate in it
(the holder's and the intermediates', never the trust anchor) was revoked,
using the CRLs a ``CrlSource`` returns and, if the policy allows, OCSP from the
certificate's AIA. The outcome is always one of: checked and good, revoked,
could not be checked (then the policy decides: soft-fail accepts, hard-fail
refuses), or not checked because the policy disables it.

CRLs are collected *before* pyhanko's event loop starts, in the caller's
thread: a ``CrlCache`` may use the Django ORM, which refuses to run in a thread
with a running event loop. Only OCSP (plain HTTP) runs inside the loop.
See docs/certificate-validation.md.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko_certvalidator.authority import Authority, CertTrustAnchor
from pyhanko_certvalidator.context import ValidationContext
from pyhanko_certvalidator.errors import (
    InsufficientRevinfoError,
    OCSPFetchError,
    OCSPValidationError,
    PathValidationError,
    RevokedError,
)
from pyhanko_certvalidator.fetchers.api import CertificateFetcher, CRLFetcher, Fetchers, OCSPFetcher
from pyhanko_certvalidator.fetchers.common_utils import (
    format_ocsp_request,
    process_ocsp_response_data,
)
from pyhanko_certvalidator.ltv.poe import POEManager
from pyhanko_certvalidator.path import ValidationPath
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)
from pyhanko_certvalidator.registry import CertificateRegistry, SimpleTrustManager
from pyhanko_certvalidator.revinfo.archival import CRLContainer
from pyhanko_certvalidator.revinfo.manager import RevinfoManager
from pyhanko_certvalidator.util import get_ocsp_urls, issuer_serial
from pyhanko_certvalidator.validate import async_validate_path

from registration.certificates.crl import (  # noqa: F401 - the public names live on here too
    DEFAULT_FAILURE_BACKOFF,
    DEFAULT_MAX_CACHE_AGE,
    MAX_CRL_URLS,
    MAX_OCSP_BYTES,
    MAX_OCSP_URLS,
    REVOCATION_CLOCK_SKEW,
    CrlCache,
    CrlSource,
    FetchError,
    HttpCrlSource,
    InMemoryCrlCache,
    RevocationPolicy,
    StaticCrlSource,
    _utcnow,
    distribution_point_urls,
    http_fetch,
    load_crl,
)
from registration.certificates.verification import Finding

logger = logging.getLogger(__name__)

T = TypeVar("T")

# --- Running pyhanko's coroutines -----------------------------------------------------


def run_coroutine(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from synchronous code, on a loop of its own.

    The calling thread (a Celery worker, a Django request thread) normally has no
    running loop: a private loop runs the coroutine and is closed afterwards,
    without touching the thread's current loop (unlike ``asyncio.run``, which
    resets it). If a loop is running (sync code called from async code), a
    private thread does the same.
    """

    def run_privately() -> T:
        with asyncio.Runner(loop_factory=asyncio.new_event_loop) as runner:
            return runner.run(factory())

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return run_privately()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="certificate-validation") as pool:
        return pool.submit(run_privately).result()


def to_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


# --- OCSP and the revocation verdict ----------------------------------------------------


class _UrllibOcspFetcher(OCSPFetcher):
    """OCSP over http(s) with the policy's timeout; one request per certificate and run."""

    def __init__(self, *, timeout: float) -> None:
        self._timeout = timeout
        self._results: dict[Any, asn1_ocsp.OCSPResponse | Exception] = {}

    async def fetch(self, cert: Any, authority: Authority) -> asn1_ocsp.OCSPResponse:
        tag = (issuer_serial(cert), authority.hashable)
        if tag not in self._results:
            try:
                self._results[tag] = self._fetch(cert, authority)
            except (OCSPFetchError, OCSPValidationError, FetchError, ValueError) as error:
                self._results[tag] = OCSPFetchError(f"OCSP request failed: {error}")
        result = self._results[tag]
        if isinstance(result, Exception):
            raise result
        return result

    def _fetch(self, cert: asn1_x509.Certificate, authority: Authority) -> asn1_ocsp.OCSPResponse:
        request = format_ocsp_request(cert, authority, certid_hash_algo="sha1", request_nonces=True)
        error: Exception = OCSPFetchError("no http(s) OCSP URL")
        for url in get_ocsp_urls(cert)[:MAX_OCSP_URLS]:
            try:
                body = http_fetch(
                    url,
                    timeout=self._timeout,
                    max_bytes=MAX_OCSP_BYTES,
                    data=request.dump(),
                    content_type="application/ocsp-request",
                )
                response: asn1_ocsp.OCSPResponse = process_ocsp_response_data(
                    body, ocsp_request=request, ocsp_url=url
                )
                return response
            except (FetchError, OCSPFetchError, OCSPValidationError) as failure:
                logger.warning("OCSP at %s failed: %s", url, failure)
                error = failure
        raise error

    def fetched_responses(self) -> Iterable[asn1_ocsp.OCSPResponse]:
        return [r for r in self._results.values() if not isinstance(r, Exception)]

    def fetched_responses_for_cert(self, cert: Any) -> Iterable[asn1_ocsp.OCSPResponse]:
        wanted = issuer_serial(cert)
        return [
            result
            for (serial, _), result in self._results.items()
            if serial == wanted and not isinstance(result, Exception)
        ]


class _UpFrontCrls(CRLFetcher):
    """CRLs were collected before the loop started (see the module docstring); nothing more."""

    async def fetch(
        self, cert: Any, *, use_deltas: Any = None
    ) -> Iterable[asn1_crl.CertificateList]:
        return []

    def fetched_crls(self) -> Iterable[asn1_crl.CertificateList]:
        return []

    def fetched_crls_for_cert(self, cert: Any) -> Iterable[asn1_crl.CertificateList]:
        return []


class _NoCertificateFetching(CertificateFetcher):
    """Issuers come from the upload and the trust store only, never from AIA URLs."""

    def fetched_certs(self) -> Iterable[asn1_x509.Certificate]:
        return []


Outcome = Literal["good", "revoked", "unknown"]


@dataclass(frozen=True)
class RevocationStatus:
    """Revocation of one path: for ``revoked``/``unknown``, the certificate concerned and why."""

    outcome: Outcome
    subject: x509.Certificate | None = None
    is_leaf: bool = True
    revoked_at: datetime | None = None
    reason: str = ""
    detail: str = ""


@dataclass(frozen=True)
class _Subject:
    cert: x509.Certificate
    path: ValidationPath
    is_leaf: bool
    crls_obtained: int


def _rule(*, is_leaf: bool, use_ocsp: bool) -> RevocationCheckingRule:
    if not is_leaf:
        return RevocationCheckingRule.CHECK_IF_DECLARED  # a CA may publish no status
    if use_ocsp:
        return RevocationCheckingRule.CRL_OR_OCSP_REQUIRED
    return RevocationCheckingRule.CRL_REQUIRED


def _unknown_detail(cert: x509.Certificate, *, crls_obtained: int, ocsp_asked: bool) -> str:
    has_ocsp = bool(_ocsp_urls(cert))
    if not distribution_point_urls(cert) and not has_ocsp:
        return "no indica dónde consultar su estado de revocación"
    if crls_obtained:
        return "la lista de revocación (CRL) obtenida no es válida, no corresponde o está desactualizada"
    if has_ocsp and ocsp_asked:
        return (
            "no se obtuvo respuesta del servicio OCSP ni la lista de revocación (CRL) de su emisor"
        )
    return "no se pudo obtener la lista de revocación (CRL) de su emisor"


def _collect_crls(source: CrlSource | None, cert: x509.Certificate) -> list[bytes]:
    """The source's CRLs for ``cert``, re-encoded as DER; a failing source yields none."""
    found = []
    for data in _raw_crls(source, cert):
        try:
            found.append(load_crl(data).public_bytes(serialization.Encoding.DER))
        except ValueError:
            logger.warning("Ignoring data that is not a CRL for %s", cert.subject.rfc4514_string())
    return found


def assess_revocation(
    *,
    leaf: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    anchor: x509.Certificate,
    at: datetime,
    policy: RevocationPolicy,
    crl_source: CrlSource | None,
) -> RevocationStatus:
    """Revocation status of a validated path; ``intermediates`` go from the leaf's issuer up.

    Each certificate is checked on its own (so an unreachable root CRL does not hide
    a revoked holder). Revoked wins over unknown, unknown over good.
    """
    certs = [leaf, *intermediates]
    if not policy.use_ocsp or not any(_ocsp_urls(cert) for cert in certs):
        return _assess_by_crl(certs, anchor, at, crl_source)
    asn1_anchor = CertTrustAnchor(to_asn1(anchor))
    top_down = [to_asn1(cert) for cert in reversed(intermediates)]
    subjects: list[_Subject] = []
    crls: dict[bytes, CRLContainer] = {}
    for index, cert in enumerate([leaf, *intermediates]):
        found = _collect_crls(crl_source, cert)
        for der in found:
            crls.setdefault(der, CRLContainer(asn1_crl.CertificateList.load(der)))
        depth = len(intermediates) - index  # intermediates above this certificate
        path = ValidationPath(asn1_anchor, top_down[:depth], to_asn1(cert))
        subjects.append(_Subject(cert, path, is_leaf=index == 0, crls_obtained=len(found)))

    async def assess() -> RevocationStatus:
        registry = CertificateRegistry.build([asn1_anchor.certificate, *top_down])
        trust = SimpleTrustManager.build(trust_roots=[asn1_anchor])
        fetchers = None
        if policy.use_ocsp:
            fetchers = Fetchers(
                ocsp_fetcher=_UrllibOcspFetcher(timeout=policy.fetch_timeout),
                crl_fetcher=_UpFrontCrls(),
                cert_fetcher=_NoCertificateFetching(),
            )
        unknown: RevocationStatus | None = None
        for subject in subjects:
            rules = RevocationCheckingPolicy(
                ee_certificate_rule=_rule(is_leaf=subject.is_leaf, use_ocsp=policy.use_ocsp),
                intermediate_ca_cert_rule=RevocationCheckingRule.NO_CHECK,
            )
            context = ValidationContext(
                trust_manager=trust,
                certificate_registry=registry,
                revinfo_manager=RevinfoManager(
                    certificate_registry=registry,
                    poe_manager=POEManager(),
                    crls=list(crls.values()),
                    ocsps=[],
                    fetchers=fetchers,
                ),
                revinfo_policy=CertRevTrustPolicy(rules),
                moment=at,
                time_tolerance=REVOCATION_CLOCK_SKEW,
            )
            try:
                await async_validate_path(context, subject.path)
            except RevokedError as error:
                return RevocationStatus(
                    "revoked",
                    subject.cert,
                    subject.is_leaf,
                    revoked_at=error.revocation_dt,
                    reason=str(error.reason.native or "unspecified"),
                )
            except (InsufficientRevinfoError, PathValidationError, ValueError) as error:
                logger.info("Revocation unknown for %s: %s", subject.cert.subject, error)
                unknown = unknown or RevocationStatus(
                    "unknown",
                    subject.cert,
                    subject.is_leaf,
                    detail=_unknown_detail(
                        subject.cert, crls_obtained=subject.crls_obtained, ocsp_asked=True
                    ),
                )
        return unknown or RevocationStatus("good")

    return run_coroutine(assess)


def _ocsp_urls(cert: x509.Certificate) -> list[str]:
    try:
        access = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except (x509.ExtensionNotFound, ValueError):
        return []
    return [
        str(item.access_location.value)
        for item in access
        if item.access_method == x509.AuthorityInformationAccessOID.OCSP
    ]


def _assess_by_crl(
    path: Sequence[x509.Certificate],
    anchor: x509.Certificate,
    at: datetime,
    crl_source: CrlSource | None,
) -> RevocationStatus:
    """CRLs only (crl_status.py, cryptography): the path's certificates, holder first."""
    # Imported here: crl_status needs paths.py, which imports this module.
    from registration.certificates.crl_status import crl_verdict

    unknown: RevocationStatus | None = None
    for index, cert in enumerate(path):
        is_leaf = index == 0
        if not is_leaf and not distribution_point_urls(cert):
            continue  # a CA may publish no status (checked only if declared)
        issuer = path[index + 1] if index + 1 < len(path) else anchor
        found = _raw_crls(crl_source, cert)
        verdict = crl_verdict(cert, issuer, found, at)
        if verdict.outcome == "revoked":
            return RevocationStatus(
                "revoked", cert, is_leaf, revoked_at=verdict.revoked_at, reason=verdict.reason
            )
        if verdict.outcome == "unknown" and unknown is None:
            detail = _unknown_detail(cert, crls_obtained=len(found), ocsp_asked=False)
            unknown = RevocationStatus("unknown", cert, is_leaf, detail=detail)
    return unknown or RevocationStatus("good")


def _raw_crls(source: CrlSource | None, cert: x509.Certificate) -> list[bytes]:
    """The source's CRLs for ``cert`` as given (parsed once, in crl_status's cache)."""
    if source is None:
        return []
    try:
        return list(source.crls_for(cert))
    except Exception:
        logger.warning("CRL source failed for %s", cert.subject.rfc4514_string(), exc_info=True)
        return []


# --- Findings ----------------------------------------------------------------------

# asn1crypto's reason names → (RFC 5280 name, Spanish gloss).
REVOCATION_REASONS: dict[str, tuple[str, str]] = {
    "unspecified": ("unspecified", "no especificado"),
    "key_compromise": ("keyCompromise", "clave privada comprometida"),
    "ca_compromise": ("cACompromise", "autoridad de certificación comprometida"),
    "affiliation_changed": ("affiliationChanged", "cambio de afiliación"),
    "superseded": ("superseded", "reemplazado por otro certificado"),
    "cessation_of_operation": ("cessationOfOperation", "cese de actividades"),
    "certificate_hold": ("certificateHold", "certificado suspendido"),
    "remove_from_crl": ("removeFromCRL", "retirado de la lista"),
    "privilege_withdrawn": ("privilegeWithdrawn", "privilegio retirado"),
    "aa_compromise": ("aACompromise", "autoridad de atributos comprometida"),
}


def certificate_label(cert: x509.Certificate) -> str:
    """The common name, or the whole subject when there is none."""
    try:
        names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        if names:
            return str(names[0].value)
        return cert.subject.rfc4514_string() or "(sin nombre)"
    except Exception:
        return "(nombre ilegible)"


def _whose(status: RevocationStatus) -> str:
    if status.is_leaf or status.subject is None:
        return "el certificado"
    return f"el certificado de la autoridad de certificación «{certificate_label(status.subject)}»"


def revocation_finding(status: RevocationStatus, policy: RevocationPolicy) -> Finding:
    """The Spanish finding for a revocation outcome under ``policy``."""
    if status.outcome == "good":
        message = (
            "Se comprobó que el certificado y su cadena de certificación no han sido revocados."
        )
        return Finding("revocation.good", message, ok=True)
    whose = _whose(status)
    if status.outcome == "revoked":
        rfc_name, gloss = REVOCATION_REASONS.get(status.reason, (status.reason, ""))
        reason = f"{rfc_name}, {gloss}" if gloss else rfc_name
        when = f" el {status.revoked_at.astimezone(UTC):%d/%m/%Y}" if status.revoked_at else ""
        message = (
            f"{whose[0].upper()}{whose[1:]} fue revocado por su emisor{when} (motivo: {reason})."
        )
        return Finding("revocation.revoked", message, ok=False)
    unknown = f"No se pudo comprobar si {whose} fue revocado: {status.detail}."
    if policy.mode == "hard-fail":
        message = f"{unknown} La política del SENAE exige esta comprobación; intente más tarde."
        return Finding("revocation.unknown_hard_fail", message, ok=False)
    message = f"{unknown} Se acepta provisionalmente porque la política configurada lo permite."
    return Finding("revocation.unknown_soft_fail", message, ok=True)


def revocation_not_checked(*, disabled: bool) -> Finding:
    """Revocation was not looked at: disabled by policy (ok), or the chain or holder already failed."""
    if disabled:
        message = (
            "No se verificó si el certificado fue revocado: la comprobación está "
            "desactivada por configuración."
        )
        return Finding("revocation.not_checked", message, ok=True)
    message = (
        "No se verificó si el certificado fue revocado porque no superó las verificaciones "
        "anteriores."
    )
    return Finding("revocation.not_checked", message, ok=False)
