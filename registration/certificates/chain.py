"""Chain of trust: a path from the holder's certificate to a trust anchor, checked for signing use.

``ChainOfTrustCheck`` runs its own checks of the holder's certificate with
precise Spanish findings (signing_policy.py: validity, CA rights, key usage and
extended key usage, weak algorithms), then asks cryptography's verifier
(``cryptography.x509.verification``, Rust) to build and validate a path to a
trust anchor under RFC 5280 with our signing profile (pkix.py). When that
succeeds, the path's CA certificates go through the same signing policy and,
when all is well, revocation is checked (revocation.py). When it fails, our
own bounded path search (paths.py) finds the nearest path to explain the
refusal in Spanish. See docs/certificate-validation.md.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.verification import VerificationError

from registration.certificates.paths import (
    MAX_PATH_INTERMEDIATES,
    MAX_SEARCH_STEPS,
    CandidateCert,
    CandidatePath,
    PathFinder,
    PathSearch,
)
from registration.certificates.pkix import PathValidator, pkix_refusal
from registration.certificates.pkix_fallback import (
    directory_name_problem,
    needs_directory_name_check,
)
from registration.certificates.revocation import (
    CrlSource,
    RevocationPolicy,
    RevocationStatus,
    assess_revocation,
    revocation_finding,
    revocation_not_checked,
)
from registration.certificates.signing_policy import authority_findings, leaf_findings
from registration.certificates.verification import Finding, VerificationContext

logger = logging.getLogger(__name__)

# Uploaded certificates beyond this are ignored (real Ecuadorian chains have 1 or 2 intermediates).
MAX_UPLOADED_INTERMEDIATES = 10


def _path_description(leaf: CandidateCert, path: CandidatePath) -> Finding:
    names = [f"«{path.anchor.label}» (raíz de confianza)"]
    names += [f"«{cert.label}»" for cert in reversed(path.intermediates)]
    names.append(f"«{leaf.label}» (titular)")
    message = "Cadena de certificación: " + " → ".join(names) + "."
    detail = {"anchor_sha256": path.anchor.fingerprint.hex()}
    return Finding("chain.path", message, ok=True, detail=detail)


def _refused_anchor(path: CandidatePath) -> Finding:
    message = (
        f"El certificado proviene de la autoridad de certificación de demostración "
        f"«{path.anchor.label}» (NO CONFIABLE); esta instalación no acepta certificados "
        "de demostración."
    )
    detail = {"anchor_sha256": path.anchor.fingerprint.hex()}
    return Finding("chain.demo_anchor_refused", message, ok=False, detail=detail)


def _untrusted(search: PathSearch) -> Finding:
    message = (
        "El certificado no proviene de una autoridad de certificación reconocida por el SENAE."
    )
    end = search.dead_end
    if end is not None:
        if end.subject == end.issuer:
            message += f" Su autoridad raíz «{end.label}» no está en el almacén de confianza."
        else:
            issuer = _name_label(end.cert.issuer)
            message += (
                f" No se encontró el certificado de su emisor «{issuer}»; si su entidad "
                "certificadora le entregó certificados intermedios, súbalos junto con el suyo."
            )
    return Finding("chain.untrusted_root", message, ok=False)


def _name_label(name: x509.Name) -> str:
    names = name.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(names[0].value) if names else name.rfc4514_string()


class ChainOfTrustCheck:
    """The certificate chains to a trust anchor, is fit for signing and (per policy) not revoked."""

    def __init__(
        self,
        *,
        trust_anchors: Sequence[x509.Certificate],
        extra_intermediates: Sequence[x509.Certificate] = (),
        revocation: RevocationPolicy,
        crl_source: CrlSource | None,
        refused_anchors: Sequence[x509.Certificate] = (),
        max_intermediates: int = MAX_PATH_INTERMEDIATES,
    ) -> None:
        self.anchors = [CandidateCert(cert) for cert in _unique(trust_anchors)]
        # Anchors that complete a path but may not vouch for a holder (demonstration CAs).
        self.refused = frozenset(cert.fingerprint(hashes.SHA256()) for cert in refused_anchors)
        self.extra_intermediates = [CandidateCert(cert) for cert in _unique(extra_intermediates)]
        self.revocation = revocation
        self.crl_source = crl_source
        self.max_intermediates = max_intermediates
        self._validator = PathValidator(
            [anchor.cert for anchor in self.anchors], max_intermediates=max_intermediates
        )

    def run(self, cert: x509.Certificate, context: VerificationContext) -> list[Finding]:
        try:
            return self._run(cert, context)
        except Exception:
            logger.exception("Chain of trust check failed unexpectedly")
            message = "No se pudo completar la verificación de la cadena de certificación."
            return [
                Finding("chain.error", message, ok=False),
                revocation_not_checked(disabled=False),
            ]

    def _run(self, cert: x509.Certificate, context: VerificationContext) -> list[Finding]:
        leaf = CandidateCert(cert)
        findings: list[Finding] = []
        uploaded = [c for c in _unique(context.intermediates) if c != cert]
        if len(uploaded) > MAX_UPLOADED_INTERMEDIATES:
            message = (
                f"El archivo contiene demasiados certificados ({len(uploaded) + 1}); solo se "
                f"consideraron los primeros {MAX_UPLOADED_INTERMEDIATES}. Suba solo su "
                "certificado y, si hace falta, los de su entidad certificadora."
            )
            findings.append(Finding("chain.too_long", message, ok=False))
            uploaded = uploaded[:MAX_UPLOADED_INTERMEDIATES]
        findings.extend(leaf_findings(leaf, context.at))
        pool = [CandidateCert(c) for c in uploaded] + self.extra_intermediates
        chosen: CandidatePath | None = None
        refusal: Exception | None = None
        if not findings:
            try:
                validated = self._validator.validate(cert, [c.cert for c in pool], context.at)
            except (VerificationError, ValueError) as error:
                refusal = error
            else:
                chosen = self._validated_path(validated, pool)
                findings.extend(authority_findings(chosen, context.at))
        if chosen is None:
            chosen, problems = self._explain(leaf, pool, context.at, refusal)
            findings.extend(problems)
        if chosen is not None and chosen.anchor.fingerprint in self.refused:
            findings.append(_refused_anchor(chosen))
        if chosen is None or any(not finding.ok for finding in findings):
            return [*findings, revocation_not_checked(disabled=False)]
        message = (
            "El certificado proviene de una autoridad de certificación reconocida por el SENAE "
            "y su cadena de certificación es válida."
        )
        findings += [Finding("chain.ok", message, ok=True), _path_description(leaf, chosen)]
        return [*findings, self._revocation(leaf, chosen, context.at)]

    def _validated_path(
        self, validated: Sequence[x509.Certificate], pool: Sequence[CandidateCert]
    ) -> CandidatePath:
        """The verifier's path (holder first, anchor last) as our candidate certificates."""
        # Certificates compare by their DER; no hashing needed.
        intermediates = [
            next((candidate for candidate in pool if candidate.cert == cert), None)
            or CandidateCert(cert)
            for cert in validated[1:-1]
        ]
        anchor = next(
            (candidate for candidate in self.anchors if candidate.cert == validated[-1]), None
        ) or CandidateCert(validated[-1])
        return CandidatePath(tuple(intermediates), anchor)

    def _explain(
        self,
        leaf: CandidateCert,
        pool: Sequence[CandidateCert],
        at: datetime,
        refusal: Exception | None,
    ) -> tuple[CandidatePath | None, list[Finding]]:
        """Why there is no valid path, in Spanish: our bounded search finds the nearest one.

        ``refusal`` is the verifier's error when the holder's certificate passed our own
        checks (None when it did not, and the verifier was not asked).
        """
        search = PathFinder(self.anchors, pool, max_intermediates=self.max_intermediates).search(
            leaf
        )
        if not search.paths:
            if search.too_long or search.steps >= MAX_SEARCH_STEPS:
                message = (
                    "La cadena de certificados es demasiado larga o compleja para verificarse "
                    f"(más de {self.max_intermediates} autoridades intermedias)."
                )
                return None, [Finding("chain.too_long", message, ok=False)]
            return None, [_untrusted(search)]
        first: tuple[CandidatePath, list[Finding]] | None = None
        for path in search.paths:
            problems = authority_findings(path, at)
            if not problems and refusal is not None:
                problems = self._second_opinion(leaf, path, at, refusal)
            if not problems:  # valid, or the holder's own findings explain the refusal
                return path, []
            first = first or (path, problems)
        assert first is not None
        return first

    @staticmethod
    def _second_opinion(
        leaf: CandidateCert, path: CandidatePath, at: datetime, refusal: Exception
    ) -> list[Finding]:
        """The verifier's refusal, unless it is only about directoryName constraints it can't
        evaluate: then pyhanko judges the path (pkix_fallback.py)."""
        if not needs_directory_name_check(refusal):
            return [pkix_refusal(refusal)]
        problem = directory_name_problem(leaf, path, at)
        return [] if problem is None else [problem]

    def _revocation(self, leaf: CandidateCert, path: CandidatePath, at: datetime) -> Finding:
        if self.revocation.mode == "disabled":
            return revocation_not_checked(disabled=True)
        try:
            status = assess_revocation(
                leaf=leaf.cert,
                intermediates=[cert.cert for cert in path.intermediates],
                anchor=path.anchor.cert,
                at=at,
                policy=self.revocation,
                crl_source=self.crl_source,
            )
        except Exception:
            logger.exception("Revocation check failed unexpectedly")
            detail = "ocurrió un error al consultar su estado de revocación"
            status = RevocationStatus("unknown", leaf.cert, is_leaf=True, detail=detail)
        return revocation_finding(status, self.revocation)


def _unique(certs: Sequence[x509.Certificate]) -> list[x509.Certificate]:
    seen: set[bytes] = set()
    unique = []
    for cert in certs:
        fingerprint = cert.fingerprint(hashes.SHA256())
        if fingerprint not in seen:
            seen.add(fingerprint)
            unique.append(cert)
    return unique
