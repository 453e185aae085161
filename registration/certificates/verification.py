"""Verification as independent checks, each returning findings; chain and revocation slot in later."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from registration.certificates.identity import CertificateIdentity, read_identity
from registration.certificates.loading import (
    DEFAULT_MAX_SIZE,
    CertificateFileError,
    load_certificate_bundle,
)
from registration.validators import normalize_digits, ruc_matches_cedula

logger = logging.getLogger(__name__)

# --- Verification ------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One outcome of a check; ``message`` is Spanish and shown to people."""

    code: str
    message: str
    ok: bool
    # Machine-readable facts behind the message (e.g. the trust anchor's SHA-256), for the record.
    detail: Mapping[str, str] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"code": self.code, "message": self.message, "ok": self.ok}
        if self.detail:
            data["detail"] = dict(self.detail)
        return data


@dataclass(frozen=True)
class VerificationContext:
    """What the certificate is checked against: the form's data and the moment."""

    expected_cedula: str
    expected_ruc: str
    at: datetime
    # Certificates the upload carried besides the holder's (chain candidates).
    intermediates: tuple[x509.Certificate, ...] = ()
    # The certificate itself must carry the RUC (an employee's persona jurídica /
    # miembro de empresa certificate): a natural person's cédula does not stand for it.
    ruc_required: bool = False

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("VerificationContext.at must be timezone-aware")
        object.__setattr__(self, "at", self.at.astimezone(UTC))


class CertificateCheck(Protocol):
    """One independent verification step."""

    def run(self, cert: x509.Certificate, context: VerificationContext) -> list[Finding]: ...


def _format_moment(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%d/%m/%Y %H:%M UTC")


class ValidityWindowCheck:
    """The certificate is within its validity period at ``context.at``."""

    def run(self, cert: x509.Certificate, context: VerificationContext) -> list[Finding]:
        not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
        if context.at < not_before:
            starts = _format_moment(not_before)
            message = f"El certificado aún no es válido: su vigencia empieza el {starts}."
            return [Finding("validity.not_yet_valid", message, ok=False)]
        if context.at > not_after:
            message = f"El certificado venció el {_format_moment(not_after)}."
            return [Finding("validity.expired", message, ok=False)]
        message = f"El certificado está vigente hasta el {_format_moment(not_after)}."
        return [Finding("validity.ok", message, ok=True)]


def _normalize_document(value: str) -> str:
    return normalize_digits(value).upper()


class IdentityMatchCheck:
    """The certificate's cédula and RUC are the ones on the form."""

    def run(self, cert: x509.Certificate, context: VerificationContext) -> list[Finding]:
        identity = read_identity(cert)
        findings = [self._document(identity, _normalize_document(context.expected_cedula))]
        expected_ruc = normalize_digits(context.expected_ruc)
        if expected_ruc:
            findings.append(self._ruc(identity, expected_ruc, required=context.ruc_required))
        return findings

    def _document(self, identity: CertificateIdentity, expected: str) -> Finding:
        if identity.cedula:
            label, value = "La cédula", identity.cedula
        elif identity.passport:
            label, value = "El pasaporte", identity.passport
        else:
            message = "El certificado no contiene la cédula del titular."
            return Finding("identity.cedula_missing", message, ok=False)
        if value == expected:
            message = f"{label} del certificado coincide con la Doc. Identificación del formulario."
            return Finding("identity.cedula_ok", message, ok=True)
        message = (
            f"{label} del certificado ({value}) no coincide con la Doc. Identificación "
            f"del formulario ({expected})."
        )
        return Finding("identity.cedula_mismatch", message, ok=False)

    def _ruc(self, identity: CertificateIdentity, expected: str, *, required: bool) -> Finding:
        if required and not identity.ruc:
            message = (
                "El certificado no contiene el RUC de la empresa: se necesita un certificado "
                f"de persona jurídica / miembro de empresa del RUC {expected}."
            )
            return Finding("identity.ruc_missing", message, ok=False)
        if identity.ruc:
            if identity.ruc == expected:
                message = "El RUC del certificado coincide con el RUC empresa del formulario."
                return Finding("identity.ruc_ok", message, ok=True)
            message = (
                f"El RUC del certificado ({identity.ruc}) no coincide con el RUC empresa "
                f"del formulario ({expected})."
            )
            return Finding("identity.ruc_mismatch", message, ok=False)
        if identity.cedula and ruc_matches_cedula(expected, identity.cedula):
            message = (
                "El RUC empresa del formulario corresponde a la cédula del certificado "
                "(persona natural)."
            )
            return Finding("identity.ruc_ok", message, ok=True)
        if identity.cedula:
            message = (
                f"El certificado no contiene RUC y el RUC empresa del formulario ({expected}) "
                f"no corresponde a la cédula del certificado ({identity.cedula})."
            )
        else:
            message = (
                f"El certificado no contiene RUC ni cédula que correspondan al RUC empresa "
                f"del formulario ({expected})."
            )
        return Finding("identity.ruc_mismatch", message, ok=False)


def default_checks() -> list[CertificateCheck]:
    """The checks ``verify_certificate`` runs when none are given."""
    # ChainOfTrustCheck (issuer chain to a root in the administrator's trust store)
    # and RevocationCheck (CRL/OCSP from the certificate, cached, configurable
    # soft-fail) slot in here as further CertificateCheck objects; they need I/O
    # and configuration, so they are built by the caller and passed in.
    return [ValidityWindowCheck(), IdentityMatchCheck()]


@dataclass(frozen=True)
class VerificationResult:
    """Outcome of verifying one upload; ``valid`` only when every finding is ok."""

    valid: bool
    findings: list[Finding]
    identity: CertificateIdentity | None
    subject: str = ""
    issuer: str = ""
    serial_number: str = ""
    sha256_fingerprint: str = ""
    not_before: datetime | None = None
    not_after: datetime | None = None

    @property
    def reasons(self) -> list[str]:
        """Spanish messages of the failed findings, for the applicant or reviewer."""
        return [finding.message for finding in self.findings if not finding.ok]

    def to_dict(self) -> dict[str, object]:
        return {
            "valid": self.valid,
            "reasons": self.reasons,
            "findings": [finding.to_dict() for finding in self.findings],
            "identity": self.identity.to_dict() if self.identity else None,
            "subject": self.subject,
            "issuer": self.issuer,
            "serial_number": self.serial_number,
            "sha256_fingerprint": self.sha256_fingerprint,
            "not_before": self.not_before.isoformat() if self.not_before else None,
            "not_after": self.not_after.isoformat() if self.not_after else None,
        }


def _name_text(cert: x509.Certificate, which: Literal["subject", "issuer"]) -> str:
    try:
        name = cert.subject if which == "subject" else cert.issuer
        return name.rfc4514_string()
    except Exception:
        logger.warning("Could not render certificate %s", which, exc_info=True)
        return ""


def _serial_hex(cert: x509.Certificate) -> str:
    """Lowercase hex without prefix; with the issuer and fingerprint it binds the user."""
    try:
        return format(cert.serial_number, "x")
    except Exception:  # a non-positive serial may raise in stricter cryptography versions
        logger.warning("Could not read certificate serial number", exc_info=True)
        return ""


def _run_checks(
    cert: x509.Certificate, context: VerificationContext, checks: Sequence[CertificateCheck]
) -> list[Finding]:
    findings: list[Finding] = []
    for check in checks:
        try:
            findings.extend(check.run(cert, context))
        except Exception:
            # A check that breaks on odd input fails closed instead of crashing.
            logger.exception("Certificate check %s failed", type(check).__name__)
            message = "No se pudo completar una de las verificaciones del certificado."
            findings.append(Finding(f"{type(check).__name__}.error", message, ok=False))
    return findings


def verify_certificate(
    data: bytes,
    *,
    expected_cedula: str,
    expected_ruc: str,
    ruc_required: bool = False,
    at: datetime | None = None,
    checks: Sequence[CertificateCheck] | None = None,
    max_size: int = DEFAULT_MAX_SIZE,
) -> VerificationResult:
    """Load an upload and run the checks against the form's cédula and RUC."""
    try:
        bundle = load_certificate_bundle(data, max_size=max_size)
    except CertificateFileError as error:
        finding = Finding("file", error.message, ok=False)
        return VerificationResult(valid=False, findings=[finding], identity=None)
    cert = bundle.leaf
    context = VerificationContext(
        expected_cedula=expected_cedula,
        expected_ruc=expected_ruc,
        ruc_required=ruc_required,
        at=at if at is not None else datetime.now(UTC),
        intermediates=bundle.intermediates,
    )
    findings = _run_checks(cert, context, default_checks() if checks is None else checks)
    return VerificationResult(
        valid=all(finding.ok for finding in findings),
        findings=findings,
        identity=read_identity(cert),
        subject=_name_text(cert, "subject"),
        issuer=_name_text(cert, "issuer"),
        serial_number=_serial_hex(cert),
        sha256_fingerprint=cert.fingerprint(hashes.SHA256()).hex(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
    )
