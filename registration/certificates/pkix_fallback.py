"""A second opinion for the one case cryptography's verifier can't judge: directoryName constraints.

cryptography's verifier (pkix.py) refuses any path through a CA whose critical
nameConstraints has directoryName subtrees ("unsupported directoryName
constraint"). A national root may well constrain names that way (permit or
exclude ``C=EC``), so for that refusal only, the path our own search found is
validated by pyhanko-certvalidator (a full RFC 5280 §6 implementation in
Python), with the anchor's own name constraints and path length applied
(§6.1.1(d)). pyhanko's exceptions other than a validation error fail closed
(``chain.unverifiable``). Slow (milliseconds), and only ever used for such
chains. See docs/certificate-validation.md.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
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

from registration.certificates.paths import CandidateCert, CandidatePath
from registration.certificates.revocation import run_coroutine
from registration.certificates.verification import Finding

logger = logging.getLogger(__name__)


# cryptography's refusal that sends a path here.
UNSUPPORTED_DIRECTORY_NAME = "unsupported directoryName constraint"


def needs_directory_name_check(error: Exception) -> bool:
    return UNSUPPORTED_DIRECTORY_NAME in str(error)


def directory_name_problem(
    leaf: CandidateCert, path: CandidatePath, at: datetime
) -> Finding | None:
    """pyhanko's RFC 5280 verdict on one path (no revocation): None when valid."""
    return run_coroutine(partial(_pkix_problem, leaf, path, at))


def _to_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


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
    top_down = [_to_asn1(cert.cert) for cert in reversed(path.intermediates)]
    try:
        anchor = _trust_anchor(_to_asn1(path.anchor.cert))
        context = ValidationContext(
            trust_roots=[anchor],
            other_certs=top_down,
            moment=at,
            revinfo_policy=CertRevTrustPolicy(NO_REVOCATION),
        )
        await async_validate_path(context, ValidationPath(anchor, top_down, _to_asn1(leaf.cert)))
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
