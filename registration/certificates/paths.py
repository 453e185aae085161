"""Candidate paths from the holder's certificate to a trust anchor (used by chain.py).

``PathFinder`` is a depth-first search by subject name, matched the RFC 5280 way
(case and spacing folded), that verifies each issuer's signature with cryptography
and stays bounded in depth, number of paths and steps, so that pathological
uploads answer in well under a second. See docs/certificate-validation.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa

from registration.certificates.revocation import certificate_label

# Bounds that keep hostile uploads cheap (real Ecuadorian chains have 1 or 2 intermediates).
MAX_PATH_INTERMEDIATES = 6
MAX_CANDIDATE_PATHS = 4
MAX_SEARCH_STEPS = 200

NameKey = tuple[tuple[tuple[str, str], ...], ...]


def name_key(name: x509.Name) -> NameKey:
    """Names compared as RFC 5280 asks, roughly: per attribute, case and spacing folded."""
    return tuple(
        tuple(
            sorted(
                (attr.oid.dotted_string, " ".join(str(attr.value).split()).casefold())
                for attr in rdn
            )
        )
        for rdn in name.rdns
    )


def _signed_by(child: x509.Certificate, issuer: x509.Certificate) -> bool | None:
    """Whether ``issuer``'s key signed ``child``; None when it can't be told (unsupported)."""
    try:
        key = issuer.public_key()
        params = child.signature_algorithm_parameters
        digest = child.signature_hash_algorithm
        signature, data = child.signature, child.tbs_certificate_bytes
        # cryptography gives no parameters for legacy algorithms (e.g. ECDSA with SHA-1).
        if isinstance(key, rsa.RSAPublicKey):
            if digest is None:
                return None
            if not isinstance(params, padding.PKCS1v15 | padding.PSS):
                params = padding.PKCS1v15()
            key.verify(signature, data, params, digest)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            if not isinstance(params, ec.ECDSA):
                if digest is None:
                    return None
                params = ec.ECDSA(digest)
            key.verify(signature, data, params)
        elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            key.verify(signature, data)
        elif isinstance(key, dsa.DSAPublicKey) and digest is not None:
            key.verify(signature, data, digest)
        else:
            return None
    except InvalidSignature:
        return False
    except (UnsupportedAlgorithm, ValueError, TypeError):
        return None
    return True


@dataclass(eq=False)
class CandidateCert:
    """A certificate with what path building compares, computed once and only when asked."""

    cert: x509.Certificate

    @cached_property
    def fingerprint(self) -> bytes:
        return self.cert.fingerprint(hashes.SHA256())

    @cached_property
    def subject(self) -> NameKey:
        return name_key(self.cert.subject)

    @cached_property
    def issuer(self) -> NameKey:
        return name_key(self.cert.issuer)

    @cached_property
    def label(self) -> str:
        return certificate_label(self.cert)


@dataclass(frozen=True)
class CandidatePath:
    intermediates: tuple[CandidateCert, ...]  # from the leaf's issuer upwards
    anchor: CandidateCert


@dataclass
class PathSearch:
    paths: list[CandidatePath] = field(default_factory=list)
    too_long: bool = False
    dead_end: CandidateCert | None = None
    steps: int = 0


class PathFinder:
    """Depth-first search for paths to an anchor, bounded in depth, count and steps."""

    def __init__(
        self,
        anchors: Sequence[CandidateCert],
        pool: Sequence[CandidateCert],
        *,
        max_intermediates: int = MAX_PATH_INTERMEDIATES,
    ) -> None:
        self.max_intermediates = max_intermediates
        anchor_prints = {anchor.fingerprint for anchor in anchors}
        self.anchors: dict[NameKey, list[CandidateCert]] = {}
        for anchor in anchors:
            self.anchors.setdefault(anchor.subject, []).append(anchor)
        self.pool: dict[NameKey, list[CandidateCert]] = {}
        for cert in pool:
            if cert.fingerprint not in anchor_prints:
                self.pool.setdefault(cert.subject, []).append(cert)
        self._verified: dict[tuple[int, int], bool] = {}

    def _issued(self, child: CandidateCert, issuer: CandidateCert) -> bool:
        key = (id(child), id(issuer))
        if key not in self._verified:
            # An unverifiable (e.g. MD5) signature stays a candidate: the weak-algorithm
            # check then explains why the path fails.
            self._verified[key] = _signed_by(child.cert, issuer.cert) is not False
        return self._verified[key]

    def search(self, leaf: CandidateCert) -> PathSearch:
        found = PathSearch()
        self._walk(leaf, (), {leaf.fingerprint}, found)
        return found

    def _walk(
        self,
        node: CandidateCert,
        chain: tuple[CandidateCert, ...],
        seen: set[bytes],
        found: PathSearch,
    ) -> None:
        if len(found.paths) >= MAX_CANDIDATE_PATHS or found.steps >= MAX_SEARCH_STEPS:
            return
        found.steps += 1
        issuers = 0
        for anchor in self.anchors.get(node.issuer, []):
            if self._issued(node, anchor):
                issuers += 1
                found.paths.append(CandidatePath(chain, anchor))
        for candidate in self.pool.get(node.issuer, []):
            if candidate.fingerprint in seen or not self._issued(node, candidate):
                continue
            issuers += 1
            if len(chain) >= self.max_intermediates:
                found.too_long = True
                continue
            seen.add(candidate.fingerprint)
            self._walk(candidate, (*chain, candidate), seen, found)
            seen.discard(candidate.fingerprint)
        if not issuers and found.dead_end is None:
            found.dead_end = node
