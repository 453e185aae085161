"""Revocation by CRL alone, with cryptography: RFC 5280 §6.3 on an already validated path.

Used by revocation.py when no OCSP is to be asked (the policy turns OCSP off, or no
certificate on the path declares an OCSP URL): the common case of CRLs from the
database cache. No event loop and no Python ASN.1 parsing; parsed CRLs with their
certificate-independent facts, and their signature checks, are kept in a small
per-process cache keyed by the CRL's SHA-256 (``PARSED``).

A CRL counts for a certificate when its issuer name is the certificate's issuer
(names compared the RFC 5280 way), its signature verifies with the issuer's key
on the path, and the issuer, if it has keyUsage, asserts cRLSign. Such a CRL that
lists the certificate (revoked at or before the moment checked; removeFromCRL
entries ignored) proves revocation. To prove the certificate is *not* revoked, the
CRL must also be complete and current: thisUpdate not after the moment (5 minutes
of skew), a nextUpdate not before it, a non-critical CRL number, no delta-CRL
indicator, no unknown critical extension (in the CRL or an entry), and an
IssuingDistributionPoint (if any) whose scope covers the certificate: not
indirect, no onlySomeReasons, onlyContainsUserCerts / onlyContainsCACerts /
onlyContainsAttributeCerts respected, and its distribution point name one of the
certificate's. See docs/certificate-validation.md.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import CRLEntryExtensionOID, ExtensionOID

from registration.certificates.crl import REVOCATION_CLOCK_SKEW, load_crl
from registration.certificates.loading import can_sign_certificates
from registration.certificates.paths import NameKey, name_key

# CRL extensions this module processes (anything else critical makes the CRL incomplete).
_KNOWN_CRL_EXTENSIONS = frozenset(
    {
        ExtensionOID.CRL_NUMBER,
        ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
        ExtensionOID.ISSUING_DISTRIBUTION_POINT,
        ExtensionOID.AUTHORITY_INFORMATION_ACCESS,
        ExtensionOID.ISSUER_ALTERNATIVE_NAME,
    }
)
_KNOWN_ENTRY_EXTENSIONS = frozenset(
    {CRLEntryExtensionOID.CRL_REASON, CRLEntryExtensionOID.INVALIDITY_DATE}
)
_CACHE_SIZE = 64

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")


@dataclass(frozen=True)
class CrlVerdict:
    outcome: str  # "good", "revoked" or "unknown"
    revoked_at: datetime | None = None
    reason: str = ""


@dataclass(frozen=True)
class ParsedCrl:
    """A CRL and what about it holds whatever certificate it is asked about."""

    digest: bytes  # SHA-256 of the bytes as given
    crl: x509.CertificateRevocationList
    issuer: NameKey
    this_update: datetime
    next_update: datetime | None
    # Complete as a base CRL: CRL number present and non-critical, no delta indicator,
    # no unknown critical extension in the CRL or in any entry.
    complete: bool
    scope: x509.IssuingDistributionPoint | None


class _Memo(Generic[K, V]):
    """A bounded, thread-safe memo: the least recently used entries leave first."""

    def __init__(self) -> None:
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K, compute: Callable[[], V]) -> V:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute()  # outside the lock: it may be slow
        with self._lock:
            self._items[key] = value
            while len(self._items) > _CACHE_SIZE:
                self._items.popitem(last=False)
        return value


class _IdentityMemo(Generic[T, V]):
    """Values of objects remembered by identity; an entry holds its object, so the id
    can't be reused by another object while the entry is there."""

    def __init__(self) -> None:
        self._memo: _Memo[int, tuple[T, V]] = _Memo()

    def get(self, obj: T, compute: Callable[[T], V]) -> V:
        held, value = self._memo.get(id(obj), lambda: (obj, compute(obj)))
        return value if held is obj else compute(obj)


class _ParsedCrls:
    """Parsed CRLs and signature results by SHA-256 of the bytes: bounded, thread-safe.

    The bytes' digest is itself remembered for the last bytes objects seen (the
    database cache's memo hands back the same object), so a multi-megabyte CRL is not
    hashed again on every certificate checked against it; so is each issuer's
    fingerprint (trust anchors and the store's intermediates are long-lived objects).
    """

    def __init__(self) -> None:
        self._crls: _Memo[bytes, ParsedCrl | None] = _Memo()  # None: not a CRL
        self._signatures: _Memo[tuple[bytes, bytes], bool] = _Memo()
        self._digests: _IdentityMemo[bytes, bytes] = _IdentityMemo()
        self._fingerprints: _IdentityMemo[x509.Certificate, bytes] = _IdentityMemo()

    def parse(self, data: bytes) -> ParsedCrl | None:
        """The CRL in ``data`` with its certificate-independent facts; None if not a CRL."""
        digest = self._digests.get(data, lambda raw: hashlib.sha256(raw).digest())
        return self._crls.get(digest, lambda: _parse(digest, data))

    def signed_by(self, parsed: ParsedCrl, issuer: x509.Certificate) -> bool:
        """Whether ``issuer`` signed the CRL, checked once per CRL and issuer."""
        fingerprint = self._fingerprints.get(issuer, lambda cert: cert.fingerprint(hashes.SHA256()))
        return self._signatures.get(
            (parsed.digest, fingerprint), lambda: _signature_valid(parsed.crl, issuer)
        )


def _signature_valid(crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> bool:
    try:
        return crl.is_signature_valid(issuer.public_key())  # type: ignore[arg-type]
    except (TypeError, ValueError):  # a key type CRLs can't be signed with
        return False


def _parse(digest: bytes, data: bytes) -> ParsedCrl | None:
    try:
        crl = load_crl(data)
        issuer = name_key(crl.issuer)
        entries_known = all(_entry_extensions_known(entry) for entry in crl)
    except ValueError:  # not a CRL, or a malformed entry: it proves nothing
        return None
    try:
        extensions = crl.extensions
        number = _extension(extensions, x509.CRLNumber)
        point = _extension(extensions, x509.IssuingDistributionPoint)
    except ValueError:  # a malformed CRL extension: it can prove a revocation, not its absence
        complete, scope = False, None
    else:
        complete = (
            entries_known
            and number is not None
            and not number.critical
            and not any(ext.critical and ext.oid not in _KNOWN_CRL_EXTENSIONS for ext in extensions)
        )
        scope = point.value if point is not None else None
    return ParsedCrl(
        digest=digest,
        crl=crl,
        issuer=issuer,
        this_update=crl.last_update_utc,
        next_update=crl.next_update_utc,
        complete=complete,
        scope=scope,  # type: ignore[arg-type]
    )


PARSED = _ParsedCrls()


def _extension(
    extensions: x509.Extensions, kind: type[x509.ExtensionType]
) -> x509.Extension[x509.ExtensionType] | None:
    try:
        return extensions.get_extension_for_class(kind)
    except x509.ExtensionNotFound:
        return None


def _may_sign_crls(issuer: x509.Certificate) -> bool:
    try:
        usage = _extension(issuer.extensions, x509.KeyUsage)
    except ValueError:
        return False
    return usage is None or bool(usage.value.crl_sign)  # type: ignore[attr-defined]


def _point_names(cert: x509.Certificate) -> set[x509.GeneralName]:
    try:
        points = _extension(cert.extensions, x509.CRLDistributionPoints)
    except ValueError:
        return set()
    if points is None:
        return set()
    return {name for point in points.value for name in (point.full_name or ())}  # type: ignore[attr-defined]


def _in_scope(parsed: ParsedCrl, cert: x509.Certificate) -> bool:
    """Whether the CRL is complete for this certificate (RFC 5280 §6.3.3 (b), (d))."""
    scope = parsed.scope
    if not parsed.complete:
        return False
    if scope is None:
        return True
    if scope.indirect_crl or scope.only_some_reasons or scope.only_contains_attribute_certs:
        return False
    if scope.only_contains_user_certs or scope.only_contains_ca_certs:
        is_ca = can_sign_certificates(cert)
        if (scope.only_contains_user_certs and is_ca) or (
            scope.only_contains_ca_certs and not is_ca
        ):
            return False
    if scope.full_name:
        names = _point_names(cert)
        if names and not names & set(scope.full_name):
            return False
    return True


def _entry_extensions_known(entry: x509.RevokedCertificate) -> bool:
    return not any(
        ext.critical and ext.oid not in _KNOWN_ENTRY_EXTENSIONS for ext in entry.extensions
    )


def _reason(entry: x509.RevokedCertificate) -> str:
    found = _extension(entry.extensions, x509.CRLReason)
    return found.value.reason.name if found is not None else "unspecified"  # type: ignore[attr-defined]


def crl_verdict(
    cert: x509.Certificate, issuer: x509.Certificate, crls: Sequence[bytes], at: datetime
) -> CrlVerdict:
    """The revocation status of ``cert`` (issued by ``issuer``) from the CRLs given."""
    issuer_name = name_key(cert.issuer)
    may_sign = _may_sign_crls(issuer)
    good = False
    for data in crls:
        parsed = PARSED.parse(data)
        if parsed is None or parsed.issuer != issuer_name:
            continue
        if not may_sign or not PARSED.signed_by(parsed, issuer):
            continue
        try:
            entry = parsed.crl.get_revoked_certificate_by_serial_number(cert.serial_number)
            reason = _reason(entry) if entry is not None else ""
        except ValueError:  # a malformed entry: this CRL proves nothing
            continue
        # removeFromCRL undoes a hold; a revocation dated after the moment checked doesn't count.
        if (
            entry is not None
            and reason != "remove_from_crl"
            and entry.revocation_date_utc <= at + REVOCATION_CLOCK_SKEW
        ):
            return CrlVerdict("revoked", revoked_at=entry.revocation_date_utc, reason=reason)
        current = (
            parsed.this_update <= at + REVOCATION_CLOCK_SKEW
            and parsed.next_update is not None
            and parsed.next_update >= at - REVOCATION_CLOCK_SKEW
        )
        try:
            good = good or (current and _in_scope(parsed, cert))
        except ValueError:
            continue
    return CrlVerdict("good") if good else CrlVerdict("unknown")
