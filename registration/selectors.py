"""Non-trivial reads of the applicant side."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from registration.models import (
    Notification,
    OceType,
    Province,
    RegistrationRequest,
    RequestEvent,
    StagedCertificate,
    User,
)


def request_for_status_page(*, tracking_number: str) -> RegistrationRequest | None:
    return (
        RegistrationRequest.objects.select_related("province", "canton", "operadora")
        .prefetch_related("oces__oce_type", "certificates")
        .filter(tracking_number=tracking_number)
        .first()
    )


def request_events(*, request: RegistrationRequest) -> QuerySet[RequestEvent]:
    return request.events.select_related("actor").order_by("created", "id")


def staged_certificates(*, session_key: str) -> list[StagedCertificate]:
    return list(
        StagedCertificate.objects.filter(session_key=session_key, kind="certificado").defer(
            "content"
        )
    )


def staged_certificate_contents(*, session_key: str) -> list[StagedCertificate]:
    return list(StagedCertificate.objects.filter(session_key=session_key, kind="certificado"))


def staged_signature(*, session_key: str) -> StagedCertificate | None:
    return StagedCertificate.objects.filter(session_key=session_key, kind="firma").first()


def requests_of_user(*, user: User) -> QuerySet[RegistrationRequest]:
    return RegistrationRequest.objects.filter(user=user).order_by("-created")


def request_status(*, request_id: int) -> str:
    status: str = RegistrationRequest.objects.values_list("status", flat=True).get(pk=request_id)
    return status


def request_verification_reasons(*, request: RegistrationRequest) -> list[str]:
    """The reasons the last verification gave, for the applicant and the reviewer."""
    results = request.verification.get("results", []) if request.verification else []
    if results and not any(r.get("valid") for r in results):
        return [reason for r in results for reason in r.get("reasons", [])]
    return []


def provinces_with_cantones() -> QuerySet[Province]:
    return Province.objects.prefetch_related("cantones").order_by("name")


def oce_types() -> QuerySet[OceType]:
    return OceType.objects.filter(active=True).order_by("name")


def staged_certificate(*, session_key: str, pk: int) -> StagedCertificate | None:
    return StagedCertificate.objects.filter(
        session_key=session_key, kind="certificado", pk=pk
    ).first()


def request_by_submission_token(*, token: str) -> RegistrationRequest | None:
    try:
        value = uuid.UUID(token)
    except ValueError:
        return None
    return RegistrationRequest.objects.filter(submission_token=value).first()


def certificate_file_contents(*, request: RegistrationRequest) -> list[bytes]:
    contents = []
    for cert_file in request.certificates.all():
        with cert_file.file.open("rb") as handle:
            contents.append(handle.read())
    return contents


def request_for_lookup(*, tracking_number: str, cedula: str) -> RegistrationRequest | None:
    return RegistrationRequest.objects.filter(
        tracking_number=tracking_number, cedula=cedula
    ).first()


def mailbox(*, user: User) -> list[Notification]:
    """The Buzón Electrónico: messages about the user's requests, newest first."""
    return list(
        Notification.objects.filter(request__user=user)
        .select_related("request")
        .order_by("-created", "-id")[:200]
    )


def mailbox_unread(*, user: User) -> int:
    return Notification.objects.filter(request__user=user, read__isnull=True).count()
