"""Revocation by CRL alone, with cryptography: RFC 5280 §6.3 on an already validated path.

Used by revocation.py when no OCSP is to be asked (the policy turns OCSP off, or no
certificate on the path declares an OCSP URL): the common case of CRLs from the
database cache. No event loop and no Python ASN.1 parsing; parsed CRLs and their
signature checks are kept in a small per-process cache keyed by the CRL's SHA-256.

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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import CRLEntryExtensionOID, ExtensionOID

from registration.certificates.crl import REVOCATION_CLOCK_SKEW, load_crl
from registration.certificates.loading import can_sign_certificates
from registration.certificates.paths import name_key

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


@dataclass(frozen=True)
class CrlVerdict:
    outcome: str  # "good", "revoked" or "unknown"
    revoked_at: datetime | None = None
    reason: str = ""


class _ParsedCrls:
    """Parsed CRLs and signature results by SHA-256 of the bytes: bounded, thread-safe."""

    def __init__(self) -> None:
        # By SHA-256 of the bytes: the CRL (None: not a CRL) and whether every entry's
        # critical extensions are known.
        self._crls: OrderedDict[bytes, tuple[x509.CertificateRevocationList | None, bool]] = (
            OrderedDict()
        )
        self._signatures: OrderedDict[tuple[bytes, bytes], bool] = OrderedDict()
        self._lock = threading.Lock()

    def parse(self, data: bytes) -> tuple[bytes, x509.CertificateRevocationList | None, bool]:
        """(SHA-256 of ``data``, the CRL or None, entries' critical extensions all known)."""
        key = hashlib.sha256(data).digest()
        with self._lock:
            if key in self._crls:
                self._crls.move_to_end(key)
                return (key, *self._crls[key])
        try:
            crl: x509.CertificateRevocationList | None = load_crl(data)
            entries_known = all(_entry_extensions_known(entry) for entry in crl)  # type: ignore[union-attr]
        except ValueError:
            crl, entries_known = None, False
        with self._lock:
            self._crls[key] = (crl, entries_known)
            while len(self._crls) > _CACHE_SIZE:
                self._crls.popitem(last=False)
        return key, crl, entries_known

    def signed_by(
        self, digest: bytes, crl: x509.CertificateRevocationList, issuer: x509.Certificate
    ) -> bool:
        """Whether ``issuer`` signed ``crl`` (whose bytes hash to ``digest``), checked once."""
        key = (digest, issuer.fingerprint(hashes.SHA256()))
        with self._lock:
            if key in self._signatures:
                return self._signatures[key]
        try:
            valid = crl.is_signature_valid(issuer.public_key())  # type: ignore[arg-type]
        except (TypeError, ValueError):  # a key type CRLs can't be signed with
            valid = False
        with self._lock:
            self._signatures[key] = valid
            while len(self._signatures) > _CACHE_SIZE:
                self._signatures.popitem(last=False)
        return valid


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


def _in_scope(crl: x509.CertificateRevocationList, cert: x509.Certificate) -> bool:
    """Whether the CRL is complete for this certificate (RFC 5280 §6.3.3 (b), (d))."""
    extensions = crl.extensions
    if any(ext.critical and ext.oid not in _KNOWN_CRL_EXTENSIONS for ext in extensions):
        return False
    number = _extension(extensions, x509.CRLNumber)
    if number is None or number.critical:
        return False
    point = _extension(extensions, x509.IssuingDistributionPoint)
    if point is None:
        return True
    scope: x509.IssuingDistributionPoint = point.value  # type: ignore[assignment]
    is_ca = can_sign_certificates(cert)
    if scope.indirect_crl or scope.only_some_reasons or scope.only_contains_attribute_certs:
        return False
    if (scope.only_contains_user_certs and is_ca) or (scope.only_contains_ca_certs and not is_ca):
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
        digest, crl, entries_known = PARSED.parse(data)
        if crl is None or name_key(crl.issuer) != issuer_name:
            continue
        if not may_sign or not PARSED.signed_by(digest, crl, issuer):
            continue
        try:
            entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
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
        next_update = crl.next_update_utc
        current = (
            crl.last_update_utc <= at + REVOCATION_CLOCK_SKEW
            and next_update is not None
            and next_update >= at - REVOCATION_CLOCK_SKEW
        )
        try:
            complete = _in_scope(crl, cert)
        except ValueError:
            continue
        good = good or (current and complete and entries_known)
    return CrlVerdict("good") if good else CrlVerdict("unknown")
