"""The review page: the request behind a task, requests and users related to it, rejection reasons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from django.db.models import Prefetch, Q, QuerySet
from viewflow.workflow.models import Task

from approvals.models import RejectionReason
from registration import certificates
from registration.models import OceRow, RegistrationRequest, User
from registration.services import WARNING_CODES
from workflow.models import RegistrationProcess


def process_of_task(task: Task) -> RegistrationProcess:
    return (
        RegistrationProcess.objects.select_related(
            "request__province",
            "request__canton",
            "request__operadora",
            "request__company_details",
        )
        .prefetch_related(
            Prefetch("request__oces", queryset=OceRow.objects.select_related("oce_type")),
            "request__certificates",
        )
        .get(pk=task.process_id)
    )


@dataclass(frozen=True)
class Related:
    requests: list[RegistrationRequest]
    users: list[User]


def related_to_request(*, request: RegistrationRequest) -> Related:
    """Other requests and active users with the same RUC or cédula."""
    others = (
        RegistrationRequest.objects.filter(Q(ruc=request.ruc) | Q(cedula=request.cedula))
        .exclude(pk=request.pk)
        .order_by("-created")[:20]
    )
    users = User.objects.filter(
        Q(cedula=request.cedula) | Q(registration_requests__ruc=request.ruc), is_active=True
    ).distinct()[:20]
    return Related(requests=list(others), users=list(users))


def rejection_reasons() -> QuerySet[RejectionReason]:
    return RejectionReason.objects.filter(active=True)


@dataclass(frozen=True)
class FindingRow:
    level: Literal["ok", "warning", "error"]
    symbol: str
    message: str


@dataclass(frozen=True)
class CertificatePanel:
    """One verified file as the reviewer reads it: labelled holder, dates, anchor, findings."""

    file: str
    valid: bool
    holder: list[tuple[str, str]]
    issuer: str
    serial_number: str
    sha256: str
    not_before: datetime | None
    not_after: datetime | None
    anchor_name: str
    anchor_is_demo: bool
    policy: str
    has_identity: bool
    cedula: str
    passport: str
    ruc: str
    razon_social: str
    razon_social_differs: bool
    holder_name: str
    holder_name_differs: bool
    findings: list[FindingRow]


_SYMBOLS = {"ok": "✔", "warning": "⚠", "error": "✘"}


def _finding_row(finding: dict[str, Any]) -> FindingRow:
    ok = bool(finding.get("ok"))
    level: Literal["ok", "warning", "error"] = (
        "error" if not ok else "warning" if finding.get("code") in WARNING_CODES else "ok"
    )
    return FindingRow(level=level, symbol=_SYMBOLS[level], message=str(finding.get("message")))


def _moment(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _panel(request: RegistrationRequest, result: dict[str, Any]) -> CertificatePanel:
    identity = result.get("identity") or {}
    anchor = result.get("trust_anchor") or {}
    razon = (identity.get("razon_social") or "").strip()
    holder_name = " ".join(v for v in (identity.get("given_names"), identity.get("surnames")) if v)
    return CertificatePanel(
        file=str(result.get("file", "")),
        valid=bool(result.get("valid")),
        holder=certificates.holder_fields(identity),
        issuer=str(result.get("issuer", "")),
        serial_number=str(result.get("serial_number", "")),
        sha256=str(result.get("sha256_fingerprint", "")),
        not_before=_moment(result.get("not_before")),
        not_after=_moment(result.get("not_after")),
        # Not the identity extensions' CA (ca_name): a demo CA can issue under any arc.
        anchor_name=anchor.get("name") or "",
        anchor_is_demo=bool(anchor.get("is_demo")),
        policy=identity.get("policy") or "",
        has_identity=bool(identity),
        cedula=identity.get("cedula") or "",
        passport=identity.get("passport") or "",
        ruc=identity.get("ruc") or "",
        razon_social=razon,
        razon_social_differs=bool(razon) and razon.upper() != request.razon_social.strip().upper(),
        holder_name=holder_name,
        holder_name_differs=certificates.person_names_differ(holder_name, request.nombre_usuario),
        findings=[_finding_row(f) for f in result.get("findings", [])],
    )


def certificate_panels(*, request: RegistrationRequest) -> list[CertificatePanel]:
    """The certificate section of the review page, from the recorded verification."""
    results = (request.verification or {}).get("results", [])
    return [_panel(request, result) for result in results]
