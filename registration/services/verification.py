"""Verifying a request's certificate: computed before the lock, recorded under it."""

from __future__ import annotations

import datetime
import logging
import secrets
import uuid
from collections.abc import Sequence
from typing import Any, Literal, cast

from cryptography import x509
from django.conf import settings
from django.utils import timezone

from registration import certificates
from registration.certificates.chain import ChainOfTrustCheck
from registration.certificates.possession import challenge_text, verify_possession
from registration.certificates.revocation import HttpCrlSource, RevocationPolicy, StaticCrlSource
from registration.kinds import declaration_for
from registration.models import (
    CertificateBinding,
    PossessionChallenge,
    RegistrationRequest,
    RequestStatus,
)
from registration.services.common import locked_request, transition
from registration.services.trust import (
    DatabaseCrlCache,
    offline_crls,
    trust_anchor_labels,
    trust_store_load,
)

logger = logging.getLogger(__name__)

Finding = certificates.Finding


class PossessionCheck:
    """The applicant signed the one-time challenge with this certificate's key."""

    def __init__(self, *, signature: bytes, challenge: str, required: bool) -> None:
        self.signature = signature
        self.challenge = challenge
        self.required = required

    def run(
        self, cert: x509.Certificate, context: certificates.VerificationContext
    ) -> list[Finding]:
        if not self.signature or not self.challenge:
            if not self.required:
                return [
                    Finding(
                        "possession.not_required", "No se exigió la prueba de posesión.", ok=True
                    )
                ]
            return [
                Finding(
                    "possession.missing",
                    "Falta la firma del reto: sin ella no se comprueba que usted tiene la clave "
                    "privada del certificado.",
                    ok=False,
                )
            ]
        result = verify_possession(
            self.signature, challenge=self.challenge.encode(), certificate=cert
        )
        return [Finding(result.code, result.message, ok=result.ok)]


class NotBoundElsewhereCheck:
    """One certificate can't back two active users."""

    def run(
        self, cert: x509.Certificate, context: certificates.VerificationContext
    ) -> list[Finding]:
        from cryptography.hazmat.primitives import hashes

        fingerprint = cert.fingerprint(hashes.SHA256()).hex()
        bound = (
            CertificateBinding.objects.filter(sha256=fingerprint, active=True)
            .exclude(user__cedula=context.expected_cedula)
            .exists()
        )
        if bound:
            return [
                Finding(
                    "binding.in_use",
                    "Este certificado ya respalda a otro usuario activo de ECUAPASS.",
                    ok=False,
                )
            ]
        return []


def revocation_policy() -> RevocationPolicy:
    # settings validates the value at startup.
    mode = cast(Literal["hard-fail", "soft-fail", "disabled"], settings.ECUAPASS_REVOCATION_MODE)
    return RevocationPolicy(mode=mode, fetch_timeout=settings.ECUAPASS_CRL_TIMEOUT)


def chain_check(
    *,
    anchors: Sequence[x509.Certificate] | None = None,
    intermediates: Sequence[x509.Certificate] = (),
    policy: RevocationPolicy | None = None,
) -> ChainOfTrustCheck:
    """Path validation to the trust store (or to `anchors`), with CRLs online and offline.

    Demonstration anchors complete a path but are refused unless ECUAPASS_ALLOW_DEMO_ANCHORS.
    """
    store = trust_store_load()
    policy = policy or revocation_policy()
    return ChainOfTrustCheck(
        refused_anchors=() if settings.ECUAPASS_ALLOW_DEMO_ANCHORS else store.demo_anchors,
        trust_anchors=store.anchors if anchors is None else anchors,
        extra_intermediates=[*store.intermediates, *intermediates],
        revocation=policy,
        crl_source=CombinedCrlSource(
            HttpCrlSource.for_policy(
                policy, DatabaseCrlCache(), issuers=[*store.anchors, *store.intermediates]
            ),
            StaticCrlSource(offline_crls()),
        ),
    )


def verification_checks(
    *, signature: bytes = b"", challenge: str = "", possession_required: bool | None = None
) -> list[certificates.CertificateCheck]:
    """Every check a request's certificate goes through, configured from settings and the store."""
    required = (
        settings.ECUAPASS_REQUIRE_POSSESSION if possession_required is None else possession_required
    )
    # The chain check covers the validity window of every certificate in the path.
    return [
        certificates.IdentityMatchCheck(),
        chain_check(),
        NotBoundElsewhereCheck(),
        PossessionCheck(signature=signature, challenge=challenge, required=required),
    ]


class CombinedCrlSource:
    def __init__(self, *sources: Any) -> None:
        self.sources = sources

    def crls_for(self, cert: x509.Certificate) -> list[bytes]:
        found: list[bytes] = []
        for source in self.sources:
            found.extend(source.crls_for(cert))
        return found


def certificate_verification_compute(*, request_id: int) -> dict[str, Any]:
    """Verify the request's certificates now (reads only; may fetch CRLs)."""
    request = RegistrationRequest.objects.get(pk=request_id)
    checks = verification_checks(
        signature=bytes(request.possession_signature or b""), challenge=request.possession_challenge
    )
    results: list[dict[str, Any]] = []
    for cert_file in request.certificates.all():
        with cert_file.file.open("rb") as handle:
            content = handle.read()
        result = certificates.verify_certificate(
            content,
            expected_cedula=request.cedula,
            expected_ruc=request.ruc,
            ruc_required=declaration_for(request.kind).certificate_ruc_required,
            checks=checks,
        )
        results.append(
            {"file": cert_file.original_name, "file_id": cert_file.pk, **result.to_dict()}
        )
    _record_trust_anchors(results)
    return {"checked_at": timezone.now().isoformat(), "results": results}


def _record_trust_anchors(results: list[dict[str, Any]]) -> None:
    """Name the trust anchor each path ended at (and whether it is a demo) in the record."""
    used = {
        r["file_id"]: f["detail"]["anchor_sha256"]
        for r in results
        for f in r["findings"]
        if f.get("detail", {}).get("anchor_sha256")
    }
    labels = trust_anchor_labels(sha256=list(used.values()))
    for r in results:
        label = labels.get(used.get(r["file_id"], ""))
        r["trust_anchor"] = (
            {"name": label.name, "is_demo": label.is_demo, "sha256": used[r["file_id"]]}
            if label
            else None
        )


def request_record_verification(*, request_id: int, outcome: dict[str, Any]) -> RegistrationRequest:
    """Record a computed verification; a no-op unless the request still waits for it.
    Returns the request as it stands after.

    Runs inside the flow lock's transaction (see workflow.nodes).
    """
    request = locked_request(request_id)
    if request.status != RequestStatus.SUBMITTED:
        return request
    results = outcome.get("results", [])
    passed = [r for r in results if r["valid"]]
    request.verification = outcome
    request.verified_at = timezone.now()
    request.verification_outcome = _outcome_label(request, passed)
    if passed:
        transition(
            request,
            allowed_from=[RequestStatus.SUBMITTED],
            to=RequestStatus.CERTIFICATE_VERIFIED,
            # The history line already says "Certificado verificado": name the file only.
            comment=f"Archivo {passed[0]['file']}.",
            update_fields=["verification", "verified_at", "verification_outcome"],
        )
    else:
        reasons = [reason for r in results for reason in r["reasons"]] or [
            "No se adjuntó ningún certificado digital."
        ]
        transition(
            request,
            allowed_from=[RequestStatus.SUBMITTED],
            to=RequestStatus.VERIFICATION_FAILED,
            comment=" ".join(reasons),
            update_fields=["verification", "verified_at", "verification_outcome"],
        )
    return request


# Passed, but worth a reviewer's look.
WARNING_CODES = frozenset({"revocation.unknown_soft_fail"})


def _outcome_label(request: RegistrationRequest, passed: list[dict[str, Any]]) -> str:
    if not passed:
        return "fallida"
    result = passed[0]
    identity = result.get("identity") or {}
    razon = (identity.get("razon_social") or "").strip().upper()
    holder = " ".join(v for v in (identity.get("given_names"), identity.get("surnames")) if v)
    if (
        request.ruc_warnings
        or any(f["code"] in WARNING_CODES for f in result.get("findings", []))
        or (razon and razon != request.razon_social.strip().upper())
        or certificates.person_names_differ(holder, request.nombre_usuario)
    ):
        return "advertencias"
    return "verificada"


# --- The one-time challenge ---------------------------------------------------------


def _new_challenge(*, label: str) -> tuple[str, str, datetime.datetime]:
    nonce = secrets.token_urlsafe(18)
    expires = timezone.now() + datetime.timedelta(seconds=settings.ECUAPASS_CHALLENGE_TTL)
    return (
        nonce,
        challenge_text(tracking_or_form_id=label, nonce=nonce, expires_at=expires),
        expires,
    )


def possession_challenge_for_form(*, form_token: uuid.UUID) -> PossessionChallenge:
    """The challenge a rendered form shows; renewed once it expires."""
    challenge = PossessionChallenge.objects.filter(form_token=form_token).first()
    if challenge is not None and challenge.expires > timezone.now():
        return challenge
    nonce, text, expires = _new_challenge(label=f"formulario {str(form_token)[:8]}")
    challenge, _ = PossessionChallenge.objects.update_or_create(
        form_token=form_token, defaults={"nonce": nonce, "text": text, "expires": expires}
    )
    return challenge


def possession_challenge_for_request(*, request: RegistrationRequest) -> PossessionChallenge:
    """The challenge a correction shows, naming the request's tracking number."""
    challenge = (
        PossessionChallenge.objects.filter(request=request, expires__gt=timezone.now())
        .order_by("-created")
        .first()
    )
    if challenge is not None:
        return challenge
    nonce, text, expires = _new_challenge(label=request.tracking_number)
    return PossessionChallenge.objects.create(
        request=request, nonce=nonce, text=text, expires=expires
    )


def possession_problem(
    *, signature: bytes, challenge: str, certificate_files: Sequence[bytes]
) -> str:
    """Why the signature proves possession of none of these certificates ("" if it does)."""
    message = "La firma del reto no se pudo comprobar."
    for content in certificate_files:
        try:
            leaf = certificates.load_certificate(content)
        except certificates.CertificateFileError:
            continue
        outcome = verify_possession(signature, challenge=challenge.encode(), certificate=leaf)
        if outcome.ok:
            return ""
        message = outcome.message
    return message
