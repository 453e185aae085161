"""Where CRLs come from: the revocation policy, HTTP fetching with a cache, offline CRLs.

Used by ``revocation.assess_revocation``; see docs/certificate-validation.md.
"""

from __future__ import annotations

import logging
import threading
import time
import urllib.error
import urllib.request
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import serialization

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]

# At most this many CRL URLs are tried per certificate, and OCSP URLs per certificate.
MAX_CRL_URLS = 3
MAX_OCSP_URLS = 2
MAX_OCSP_BYTES = 1024 * 1024
# How long a fetched CRL may be served from the cache even if its nextUpdate is later.
DEFAULT_MAX_CACHE_AGE = timedelta(hours=24)
# How long a CRL URL that failed is left alone (by the same HttpCrlSource).
DEFAULT_FAILURE_BACKOFF = timedelta(seconds=60)
# Clock difference tolerated between us and a CRL/OCSP issuer (a fresh OCSP
# response is often signed "after" the moment being checked).
REVOCATION_CLOCK_SKEW = timedelta(minutes=5)


def _utcnow() -> datetime:
    return datetime.now(UTC)


# --- Policy and protocols -------------------------------------------------------


@dataclass(frozen=True)
class RevocationPolicy:
    """What to do about revocation; ``fetch_timeout`` bounds each HTTP request (seconds, total)."""

    mode: Literal["hard-fail", "soft-fail", "disabled"]
    fetch_timeout: float = 5.0
    max_crl_bytes: int = 10 * 1024 * 1024
    use_ocsp: bool = True

    def __post_init__(self) -> None:
        if self.mode not in ("hard-fail", "soft-fail", "disabled"):
            raise ValueError(f"Unknown revocation mode {self.mode!r}")
        if not self.fetch_timeout > 0 or self.max_crl_bytes <= 0:
            raise ValueError("fetch_timeout and max_crl_bytes must be positive")


class CrlSource(Protocol):
    """DER CRLs that may cover ``cert`` (from its CRL distribution points, or offline copies)."""

    def crls_for(self, cert: x509.Certificate) -> list[bytes]: ...


class CrlCache(Protocol):
    """Fetched CRLs by URL; ``get`` returns only a CRL that is still fresh."""

    def get(self, url: str) -> bytes | None: ...

    def put(self, url: str, der: bytes, next_update: datetime | None) -> None: ...


class InMemoryCrlCache:
    """A per-process ``CrlCache`` (bounded, thread-safe); entries expire at ``next_update``."""

    def __init__(self, *, max_entries: int = 256, clock: Clock = _utcnow) -> None:
        self._entries: OrderedDict[str, tuple[bytes, datetime]] = OrderedDict()
        self._lock = threading.Lock()
        self._max_entries = max_entries
        self._clock = clock

    def get(self, url: str) -> bytes | None:
        with self._lock:
            entry = self._entries.get(url)
            if entry is None:
                return None
            if entry[1] <= self._clock():
                del self._entries[url]
                return None
            self._entries.move_to_end(url)
            return entry[0]

    def put(self, url: str, der: bytes, next_update: datetime | None) -> None:
        with self._lock:
            self._entries.pop(url, None)
            if next_update is None or next_update <= self._clock():
                return  # nothing says how long it stays valid: don't keep it
            self._entries[url] = (der, next_update)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)


# --- HTTP ------------------------------------------------------------------------


class FetchError(Exception):
    """A CRL or OCSP request that failed, timed out, was too large or was not http(s)."""


def _is_http(url: str) -> bool:
    return urlsplit(url).scheme.lower() in ("http", "https")


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    max_redirections = 3

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        if not _is_http(newurl) or req.data is not None:
            raise FetchError(f"refused redirect from {req.full_url} to {newurl}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _build_opener() -> urllib.request.OpenerDirector:
    # Only http(s): no file:, ftp: or data: handlers, unlike build_opener().
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        urllib.request.UnknownHandler(),
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        _HttpOnlyRedirects(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


_OPENER = _build_opener()


def _fetch_blocking(
    url: str, *, timeout: float, max_bytes: int, data: bytes | None, content_type: str | None
) -> bytes:
    deadline = time.monotonic() + timeout
    headers = {"User-Agent": "ecuapass-solicitud"}
    if content_type:
        headers["Content-Type"] = content_type
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 (scheme checked)
    with _OPENER.open(request, timeout=timeout) as response:
        if response.status != 200:
            raise FetchError(f"HTTP {response.status} from {url}")
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            raise FetchError(f"{url} announces {declared} bytes (limit {max_bytes})")
        chunks: list[bytes] = []
        size = 0
        while chunk := response.read(64 * 1024):
            size += len(chunk)
            if size > max_bytes:
                raise FetchError(f"{url} sent more than {max_bytes} bytes")
            if time.monotonic() > deadline:
                raise FetchError(f"{url} took longer than {timeout} s")
            chunks.append(chunk)
        return b"".join(chunks)


def http_fetch(
    url: str,
    *,
    timeout: float,
    max_bytes: int,
    data: bytes | None = None,
    content_type: str | None = None,
) -> bytes:
    """GET (or POST ``data``) an http(s) URL within ``timeout`` seconds in total, or FetchError.

    The request runs in a daemon thread so that even a stuck DNS lookup can't
    hold the caller longer than the timeout.
    """
    if not _is_http(url):
        raise FetchError(f"not an http(s) URL: {url!r}")
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["body"] = _fetch_blocking(
                url, timeout=timeout, max_bytes=max_bytes, data=data, content_type=content_type
            )
        except Exception as error:
            outcome["error"] = error

    worker = threading.Thread(target=work, name="revocation-fetch", daemon=True)
    worker.start()
    worker.join(timeout + 0.5)
    if worker.is_alive():
        raise FetchError(f"{url} took longer than {timeout} s")
    if "error" in outcome:
        error = outcome["error"]
        if isinstance(error, FetchError):
            raise error
        raise FetchError(f"{url}: {error}") from error
    body: bytes = outcome["body"]
    return body


# --- CRL sources -------------------------------------------------------------------


def load_crl(data: bytes) -> x509.CertificateRevocationList:
    """Parse a CRL in DER or PEM; ValueError if it isn't one."""
    if data.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_crl(data)
    return x509.load_der_x509_crl(data)


def distribution_point_urls(cert: x509.Certificate) -> list[list[str]]:
    """The http(s) URLs of each CRL distribution point (LDAP and relative names are skipped)."""
    try:
        points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    except x509.ExtensionNotFound:
        return []
    found: list[list[str]] = []
    for point in points:
        urls = [
            name.value
            for name in point.full_name or []
            if isinstance(name, x509.UniformResourceIdentifier) and _is_http(name.value)
        ]
        if urls:
            found.append(urls)
    return found


class HttpCrlSource:
    """Fetches each CRL distribution point over http(s), caching CRLs until their nextUpdate.

    ``issuers`` (e.g. the trust store's CAs) lets it refuse, before caching, a
    CRL whose issuer it knows but whose signature does not verify; pyhanko
    verifies every CRL signature again anyway. A CRL is cached until
    min(nextUpdate, now + ``max_cache_age``) and never if it has no nextUpdate.
    A URL that just failed is not tried again for ``failure_backoff`` by the same
    instance, so keep one instance per process for a flaky host to cost little.
    """

    def __init__(
        self,
        cache: CrlCache,
        timeout: float = 5.0,
        max_bytes: int = 10 * 1024 * 1024,
        *,
        issuers: Sequence[x509.Certificate] = (),
        max_cache_age: timedelta = DEFAULT_MAX_CACHE_AGE,
        failure_backoff: timedelta = DEFAULT_FAILURE_BACKOFF,
        clock: Clock = _utcnow,
    ) -> None:
        self.cache = cache
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.issuers = tuple(issuers)
        self.max_cache_age = max_cache_age
        self.failure_backoff = failure_backoff
        self.clock = clock
        self._failed_until: dict[str, datetime] = {}
        self._lock = threading.Lock()

    @classmethod
    def for_policy(cls, policy: RevocationPolicy, cache: CrlCache, **options: Any) -> HttpCrlSource:
        return cls(cache, timeout=policy.fetch_timeout, max_bytes=policy.max_crl_bytes, **options)

    def crls_for(self, cert: x509.Certificate) -> list[bytes]:
        found: list[bytes] = []
        budget = MAX_CRL_URLS
        for urls in distribution_point_urls(cert):
            for url in urls:
                if budget == 0:
                    return found
                budget -= 1
                der = self._crl_at(url)
                if der is not None:
                    found.append(der)
                    break  # the other URLs of this point are mirrors
        return found

    def _crl_at(self, url: str) -> bytes | None:
        try:
            cached = self.cache.get(url)
        except Exception:
            logger.warning("CRL cache lookup failed for %s", url, exc_info=True)
            cached = None
        if cached is not None:
            return cached
        with self._lock:
            retry_at = self._failed_until.get(url)
        if retry_at is not None and retry_at > self.clock():
            logger.info("Not retrying the CRL at %s yet (it failed recently)", url)
            return None
        crl = self._download(url)
        with self._lock:
            if crl is None:
                self._failed_until[url] = self.clock() + self.failure_backoff
                return None
            self._failed_until.pop(url, None)
        der = crl.public_bytes(serialization.Encoding.DER)
        now = self.clock()
        next_update = crl.next_update_utc
        if next_update is not None and next_update > now:
            try:
                self.cache.put(url, der, min(next_update, now + self.max_cache_age))
            except Exception:
                logger.warning("CRL cache store failed for %s", url, exc_info=True)
        return der

    def _download(self, url: str) -> x509.CertificateRevocationList | None:
        try:
            crl = load_crl(http_fetch(url, timeout=self.timeout, max_bytes=self.max_bytes))
        except (FetchError, ValueError) as error:
            logger.warning("Could not fetch the CRL at %s: %s", url, error)
            return None
        if not self._signature_plausible(crl):
            logger.warning("CRL at %s is not signed by the CA it names; ignored", url)
            return None
        return crl

    def _signature_plausible(self, crl: x509.CertificateRevocationList) -> bool:
        known = [issuer for issuer in self.issuers if issuer.subject == crl.issuer]
        if not known:
            return True  # issuer unknown here; pyhanko checks the signature on use
        for issuer in known:
            try:
                if crl.is_signature_valid(issuer.public_key()):  # type: ignore[arg-type]
                    return True
            except (TypeError, ValueError):
                continue
        return False


class StaticCrlSource:
    """CRLs given up front (imported by hand for offline use, or by tests)."""

    def __init__(self, crls: Sequence[bytes]) -> None:
        self._crls = [
            (crl.issuer, crl.public_bytes(serialization.Encoding.DER))
            for crl in map(load_crl, crls)
        ]

    def crls_for(self, cert: x509.Certificate) -> list[bytes]:
        return [der for issuer, der in self._crls if issuer == cert.issuer]
