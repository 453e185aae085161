"""RFC 5280 path building and validation, by cryptography's verifier, under a signing profile.

``cryptography.x509.verification`` (Rust) builds the path from the holder's
certificate through the uploaded and stored intermediates to a trust anchor,
checks every signature, validity window, basic constraints and path length,
name constraints (the anchor's too, RFC 5280 §6.1.1(d)), unknown critical
extensions, serial numbers, encodings and the algorithm set, with a bounded
search. Its defaults are the web PKI's (CA/Browser Forum); ``ExtensionPolicy``
sets them to what an Ecuadorian signing certificate needs:

- the holder's EKU and SAN may be present or not, with any criticality: the
  EKU is judged by signing_policy.py (signing uses, not ``clientAuth`` only),
  and a signing certificate names its holder in the subject;
- a CA's EKU is not required to name ``clientAuth``; signing_policy.py judges it;
- a CA's keyUsage may be absent (RFC 5280 §6 does not require it); when present
  it must assert keyCertSign;
- basicConstraints must be critical in an intermediate, but a trust anchor's may
  be non-critical (older national roots; the anchor is chosen by SENAE).

See docs/certificate-validation.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    Policy,
    PolicyBuilder,
    Store,
    VerificationError,
)

from registration.certificates.verification import Finding

logger = logging.getLogger(__name__)


class ProfileError(ValueError):
    """A certificate breaks our profile (raised inside the verifier's extension callbacks)."""


def _ca_key_usage(_policy: Policy, _cert: x509.Certificate, usage: x509.KeyUsage | None) -> None:
    if usage is not None and not usage.key_cert_sign:
        raise ProfileError("keyUsage.keyCertSign must be asserted in a CA certificate")


def _basic_constraints_check(
    anchors: frozenset[bytes],
) -> Callable[[Policy, x509.Certificate, x509.BasicConstraints], None]:
    def check(_policy: Policy, cert: x509.Certificate, constraints: x509.BasicConstraints) -> None:
        if not constraints.ca:
            raise ProfileError("basicConstraints.cA must be asserted in a CA certificate")
        critical = cert.extensions.get_extension_for_class(x509.BasicConstraints).critical
        if not critical and cert.fingerprint(hashes.SHA256()) not in anchors:
            raise ProfileError("basicConstraints must be critical in an intermediate CA")

    return check


def _policies(anchors: frozenset[bytes]) -> tuple[ExtensionPolicy, ExtensionPolicy]:
    ca = (
        ExtensionPolicy.webpki_defaults_ca()
        .may_be_present(x509.ExtendedKeyUsage, Criticality.AGNOSTIC, None)
        .may_be_present(x509.KeyUsage, Criticality.AGNOSTIC, _ca_key_usage)
        .require_present(
            x509.BasicConstraints, Criticality.AGNOSTIC, _basic_constraints_check(anchors)
        )
    )
    ee = (
        ExtensionPolicy.webpki_defaults_ee()
        .may_be_present(x509.ExtendedKeyUsage, Criticality.AGNOSTIC, None)
        .may_be_present(x509.SubjectAlternativeName, Criticality.AGNOSTIC, None)
    )
    return ca, ee


class PathValidator:
    """A path from a holder's certificate to one of ``anchors``, built and validated in Rust."""

    def __init__(self, anchors: Sequence[x509.Certificate], *, max_intermediates: int) -> None:
        self._store = Store(list(anchors)) if anchors else None
        prints = frozenset(cert.fingerprint(hashes.SHA256()) for cert in anchors)
        self._ca_policy, self._ee_policy = _policies(prints)
        self._max_intermediates = max_intermediates

    def validate(
        self, leaf: x509.Certificate, pool: Sequence[x509.Certificate], at: datetime
    ) -> list[x509.Certificate]:
        """The path, holder first and anchor last; raises VerificationError when there is none."""
        if self._store is None:
            raise VerificationError("no trust anchors")
        verifier = (
            PolicyBuilder()
            .store(self._store)
            .time(at)
            .max_chain_depth(self._max_intermediates)
            .extension_policies(ca_policy=self._ca_policy, ee_policy=self._ee_policy)
            .build_client_verifier()
        )
        return verifier.verify(leaf, list(pool)).chain


def pkix_refusal(error: Exception) -> Finding:
    """The finding for a path the verifier refused and our own checks did not explain."""
    detail = str(error)
    logger.info("Path rejected by RFC 5280 validation: %s", detail)
    message = f"La cadena de certificación no es válida según RFC 5280 (detalle técnico: {detail})."
    return Finding("chain.invalid", message, ok=False)
