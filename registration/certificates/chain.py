"""Chain of trust: a path from the holder's certificate to a trust anchor, checked for signing use.

``ChainOfTrustCheck`` builds candidate paths itself (paths.py, bounded:
pathological uploads must answer in well under a second), runs its own checks
with precise Spanish findings (signing_policy.py: validity of every
certificate, CA rights, key usage and extended key usage of the holder, weak
algorithms), then hands the chosen path to pyhanko-certvalidator for the full
RFC 5280 validation and, when the path is valid, for revocation
(revocation.py). See docs/certificate-validation.md.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from functools import partial

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from pyhanko_certvalidator.authority import CertTrustAnchor, TrustQualifiers
from pyhanko_certvalidator.context import ValidationContext
from pyhanko_certvalidator.errors import PathValidationError
from pyhanko_certvalidator.name_trees import (
    default_excluded_subtrees,
    default_permitted_subtrees,
    process_general_subtrees,
)
from pyhanko_certvalidator.path import ValidationPath
from pyhanko_certvalidator.policy_decl import (
    NO_REVOCATION,
    CertRevTrustPolicy,
    PKIXValidationParams,
)
from pyhanko_certvalidator.validate import async_validate_path

from registration.certificates.paths import (
    MAX_PATH_INTERMEDIATES,
    MAX_SEARCH_STEPS,
    CandidateCert,
    CandidatePath,
    PathFinder,
    PathSearch,
)
from registration.certificates.revocation import (
    CrlSource,
    RevocationPolicy,
    RevocationStatus,
    assess_revocation,
    revocation_finding,
    revocation_not_checked,
    run_coroutine,
    to_asn1,
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


def _constrains_other_names(path: CandidatePath) -> bool:
    """Whether a CA on the path has name constraints on otherName (which pyhanko can't hash)."""
    for cert in (*path.intermediates, path.anchor):
        try:
            constraints = cert.cert.extensions.get_extension_for_class(x509.NameConstraints).value
        except (x509.ExtensionNotFound, ValueError, TypeError):  # absent or malformed
            continue
        subtrees = [*(constraints.permitted_subtrees or ()), *(constraints.excluded_subtrees or ())]
        if any(isinstance(name, x509.OtherName) for name in subtrees):
            return True
    return False


def _unverifiable(path: CandidatePath, error: Exception) -> Finding:
    """pyhanko failed on a path it should have judged: refuse (fail closed), saying why."""
    if _constrains_other_names(path):
        reason = (
            "una autoridad de la cadena restringe nombres de tipo otherName "
            "(nameConstraints), que el verificador no puede evaluar"
        )
    else:
        reason = f"el verificador no pudo evaluarla (detalle técnico: {type(error).__name__})"
    message = (
        f"La cadena de certificación no se pudo verificar: {reason}. Por seguridad, el "
        "certificado no se acepta; consulte con su entidad certificadora."
    )
    return Finding("chain.unverifiable", message, ok=False)


def _trust_anchor(cert: asn1_x509.Certificate) -> CertTrustAnchor:
    """The anchor with its own name constraints and path length applied (RFC 5280 §6.1.1(d)).

    pyhanko's default anchor is name and key only, so a root that excludes C=EC
    would still validate an Ecuadorian holder. Its certificate policies are not
    turned into an initial policy set (that would refuse chains whose policies a
    root merely lists).
    """
    permitted = excluded = None
    constraints = cert.name_constraints_value
    if constraints is not None:
        # Name types the root doesn't constrain stay unbounded (pyhanko reads a missing
        # type as "nothing permitted").
        if isinstance(constraints["permitted_subtrees"], asn1_x509.GeneralSubtrees):
            permitted = {
                **default_permitted_subtrees(),
                **process_general_subtrees(constraints["permitted_subtrees"]),
            }
        if isinstance(constraints["excluded_subtrees"], asn1_x509.GeneralSubtrees):
            excluded = {
                **default_excluded_subtrees(),
                **process_general_subtrees(constraints["excluded_subtrees"]),
            }
    params = PKIXValidationParams(
        initial_permitted_subtrees=permitted, initial_excluded_subtrees=excluded
    )
    quals = TrustQualifiers(standard_parameters=params, max_path_length=cert.max_path_length)
    return CertTrustAnchor(cert, quals=quals)


async def _pkix_problem(leaf: CandidateCert, path: CandidatePath, at: datetime) -> Finding | None:
    """pyhanko's RFC 5280 verdict on one path (no revocation): None when valid.

    Any exception pyhanko raises is a refusal, never an error (it fails closed).
    """
    top_down = [to_asn1(cert.cert) for cert in reversed(path.intermediates)]
    try:
        anchor = _trust_anchor(to_asn1(path.anchor.cert))
        context = ValidationContext(
            trust_roots=[anchor],
            other_certs=top_down,
            moment=at,
            revinfo_policy=CertRevTrustPolicy(NO_REVOCATION),
        )
        await async_validate_path(context, ValidationPath(anchor, top_down, to_asn1(leaf.cert)))
    except PathValidationError as error:
        detail = str(error)
    except ValueError as error:  # malformed extensions and the like
        detail = f"{type(error).__name__}: {error}"
    except Exception as error:  # a library bug, e.g. TypeError in its name-constraint code
        logger.warning("RFC 5280 validation raised %r; path refused", error, exc_info=True)
        return _unverifiable(path, error)
    else:
        return None
    logger.info("Path rejected by RFC 5280 validation: %s", detail)
    message = f"La cadena de certificación no es válida según RFC 5280 (detalle técnico: {detail})."
    return Finding("chain.invalid", message, ok=False)


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
    ) -> None:
        self.anchors = [CandidateCert(cert) for cert in _unique(trust_anchors)]
        # Anchors that complete a path but may not vouch for a holder (demonstration CAs).
        self.refused = frozenset(cert.fingerprint(hashes.SHA256()) for cert in refused_anchors)
        self.extra_intermediates = [CandidateCert(cert) for cert in _unique(extra_intermediates)]
        self.revocation = revocation
        self.crl_source = crl_source

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
        search = PathFinder(self.anchors, pool).search(leaf)
        chosen, path_findings = self._choose(leaf, search, context.at, leaf_ok=not findings)
        findings.extend(path_findings)
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

    def _choose(
        self, leaf: CandidateCert, search: PathSearch, at: datetime, *, leaf_ok: bool
    ) -> tuple[CandidatePath | None, list[Finding]]:
        """The first candidate path without problems, else the first path's problems."""
        if not search.paths:
            if search.too_long or search.steps >= MAX_SEARCH_STEPS:
                message = (
                    "La cadena de certificados es demasiado larga o compleja para verificarse "
                    f"(más de {MAX_PATH_INTERMEDIATES} autoridades intermedias)."
                )
                return None, [Finding("chain.too_long", message, ok=False)]
            return None, [_untrusted(search)]
        first_problems: list[Finding] | None = None
        for path in search.paths:
            problems = authority_findings(path, at)
            if not problems and leaf_ok:
                problem = run_coroutine(partial(_pkix_problem, leaf, path, at))
                if problem is not None:
                    problems = [problem]
            if not problems:
                return path, []
            if first_problems is None:
                first_problems = problems
        return search.paths[0], first_problems or []

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
