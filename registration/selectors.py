"""Non-trivial reads of the applicant side."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from registration.kinds import COMPANY_DECIDED_KINDS, COMPANY_KINDS, REPRESENTATIVE_KINDS
from registration.models import (
    CORRECTABLE_STATUSES,
    AccountAction,
    AccountEvent,
    AppointmentFile,
    CodePurpose,
    Company,
    EntityDetails,
    Notification,
    OceRow,
    OceType,
    OneTimeCode,
    Province,
    RegistrationRequest,
    RequestEvent,
    RequestKind,
    RequestStatus,
    StagedCertificate,
    TermsAcceptance,
    TermsVersion,
    User,
    VueProcedure,
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


def staged_appointment(*, session_key: str) -> StagedCertificate | None:
    """The appointment PDF kept for this form (Representante de la entidad)."""
    return StagedCertificate.objects.filter(session_key=session_key, kind="nombramiento").first()


def request_appointment(*, request: RegistrationRequest) -> AppointmentFile | None:
    """The appointment PDF a request holds (a Representante de la entidad's), if any."""
    return AppointmentFile.objects.filter(request=request).first()


def requests_of_user(*, user: User) -> QuerySet[RegistrationRequest]:
    return RegistrationRequest.objects.filter(user=user).order_by("-created")


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
    return list(_mailbox_of(user).select_related("request").order_by("-created", "-id")[:200])


def _mailbox_of(user: User) -> QuerySet[Notification]:
    """Messages about the user's own requests, and those addressed to the user."""
    return Notification.objects.filter(
        Q(recipient__isnull=True, request__user=user) | Q(recipient=user)
    )


def mailbox_unread(*, user: User) -> int:
    return _mailbox_of(user).filter(read__isnull=True).count()


def requests_waiting_for_applicant(*, now: datetime) -> QuerySet[RegistrationRequest]:
    """Requests waiting for their applicant (or an employee's for its company) long enough
    to be reminded or expired."""
    email_wait = timedelta(hours=settings.ECUAPASS_EMAIL_CONFIRM_REMINDER_HOURS)
    correction_wait = timedelta(
        days=settings.ECUAPASS_CORRECTION_EXPIRY_DAYS
        - settings.ECUAPASS_CORRECTION_REMINDER_DAYS_BEFORE
    )
    company_wait = timedelta(
        days=settings.ECUAPASS_EMPLOYEE_DECISION_EXPIRY_DAYS
        - settings.ECUAPASS_EMPLOYEE_DECISION_REMINDER_DAYS_BEFORE
    )
    return RegistrationRequest.objects.filter(
        Q(
            status=RequestStatus.SUBMITTED,
            email_confirmed_at__isnull=True,
            status_changed_at__lte=now - email_wait,
        )
        | Q(status__in=CORRECTABLE_STATUSES, status_changed_at__lte=now - correction_wait)
        | Q(
            kind__in=COMPANY_DECIDED_KINDS,
            status=RequestStatus.CERTIFICATE_VERIFIED,
            status_changed_at__lte=now - company_wait,
        )
    ).order_by("status_changed_at", "pk")


def live_codes(
    *, purpose: CodePurpose, request: RegistrationRequest | None = None, user: User | None = None
) -> QuerySet[OneTimeCode]:
    """The owner's codes of this purpose that still work (unused, not replaced, not expired),
    newest first."""
    owner: dict[str, object] = {"request": request} if request is not None else {"user": user}
    return OneTimeCode.objects.filter(
        purpose=purpose,
        used__isnull=True,
        retired__isnull=True,
        expires__gt=timezone.now(),
        **owner,
    ).order_by("-created", "-id")


# --- Buscar ID / Reinicio de clave ------------------------------------------------


def user_for_id_lookup(*, cedula: str, email: str) -> User | None:
    """The active user with this cédula whose registered email is `email` (any case)."""
    return User.objects.filter(is_active=True, cedula=cedula, email__iexact=email.strip()).first()


def user_for_password_reset(*, username: str) -> User | None:
    """The active user with this ID. usuario who can reset online: an email and security answers."""
    return (
        User.objects.filter(
            is_active=True,
            username__iexact=username.strip(),
            registration_requests__status=RequestStatus.ACTIVE,
        )
        .exclude(email="")
        .distinct()
        .first()
    )


def password_reset_verified_code(*, code_id: int) -> OneTimeCode | None:
    """A reset code used (verified) recently by an active user whose password it hasn't reset yet."""
    code = (
        OneTimeCode.objects.select_related("user")
        .filter(
            pk=code_id,
            purpose=CodePurpose.PASSWORD_RESET,
            used__gt=timezone.now() - timedelta(minutes=settings.ECUAPASS_RESET_VERIFIED_MINUTES),
            user__is_active=True,
        )
        .first()
    )
    if code is None or code.used is None or code.user is None:
        return None
    if AccountEvent.objects.filter(
        user=code.user, action=AccountAction.RESET_DONE, created__gte=code.used
    ).exists():
        return None
    return code


# --- Mi página ----------------------------------------------------------------------


def _active_company_requests(user: User) -> QuerySet[RegistrationRequest]:
    """The user's active requests of an organisation's kind (a company's or an entity's);
    a member's (employee, official) only while not revoked."""
    return RegistrationRequest.objects.filter(
        user=user, status=RequestStatus.ACTIVE, kind__in=COMPANY_KINDS
    ).exclude(kind__in=COMPANY_DECIDED_KINDS, employment__revoked_at__isnull=False)


def user_is_company_user(user: User) -> bool:
    """Whether the user holds a company user (a Representante's or a not revoked
    employee's), not only a General one."""
    return _active_company_requests(user).exists()


def user_company_request(*, user: User) -> RegistrationRequest | None:
    """The active organisation request that makes the user a company (or entity) user: a
    representative's before a member's."""
    return (
        _active_company_requests(user)
        .select_related("company", "company_details", "entity_details", "employment__company")
        .prefetch_related(
            "oces__oce_type",
            "employment__grants__options",
            "employment__grants__oce_type",
            "employment__procedures",
        )
        # The representatives' kinds ("representante", "representante_entidad") sort after
        # the members' ("empleado", "entidad"): descending puts them first.
        .order_by("-kind", "-status_changed_at", "-created")
        .first()
    )


# --- Companies and their representatives ----------------------------------------------


def _active_representante_requests(kind: str = "") -> QuerySet[RegistrationRequest]:
    """Active requests that make their user an organisation's representative: of ``kind``
    (a Representante's, a Representante de la entidad's), or of either."""
    kinds = [kind] if kind else sorted(REPRESENTATIVE_KINDS)
    return RegistrationRequest.objects.filter(
        kind__in=kinds, status=RequestStatus.ACTIVE, user__is_active=True
    )


def company_with_representative(
    *, ruc: str, kind: str = RequestKind.REPRESENTANTE
) -> Company | None:
    """The organisation of this RUC, if it has an active representative of ``kind`` (a
    company's Representante by default, an entity's Representante de la entidad):
    its members (employees, officials) can join it."""
    return (
        Company.objects.filter(
            ruc=ruc, registrationrequest__in=_active_representante_requests(kind)
        )
        .distinct()
        .first()
    )


def company_representatives(*, company: Company, kind: str = "") -> QuerySet[User]:
    """The active users who represent the organisation (of ``kind``, or of either): they
    decide its members' requests."""
    return User.objects.filter(
        registration_requests__in=_active_representante_requests(kind).filter(company=company)
    ).distinct()


def user_represented_companies(*, user: User, kind: str = "") -> QuerySet[Company]:
    """The organisations the user is an active representative of (of ``kind``, or of either)."""
    return Company.objects.filter(
        registrationrequest__in=_active_representante_requests(kind).filter(user=user)
    ).distinct()


def entity_procedures(*, company: Company) -> list[VueProcedure]:
    """The VUE procedures the entity handles, from its active Representantes de la entidad's
    requests (still active in the catalogue): what an official can be granted."""
    codes: set[str] = set()
    for procedures in EntityDetails.objects.filter(
        request__in=_active_representante_requests(RequestKind.REPRESENTANTE_ENTIDAD).filter(
            company=company
        )
    ).values_list("procedures", flat=True):
        codes.update(procedures)
    return list(VueProcedure.objects.filter(code__in=codes, active=True))


def company_oce_codes(*, company: Company, on: date) -> list[OceRow]:
    """The company's own OCE codes still valid on the date (one row per code), from its
    active Representantes' requests: what an employee can be bound to."""
    rows = (
        OceRow.objects.filter(
            request__in=_active_representante_requests(RequestKind.REPRESENTANTE).filter(
                company=company
            ),
            end_date__gte=on,
        )
        .select_related("oce_type")
        .order_by("code", "id")
    )
    by_code: dict[str, OceRow] = {}
    for row in rows:
        by_code.setdefault(row.code, row)
    return list(by_code.values())


def user_active_request(*, user: User) -> RegistrationRequest | None:
    """The request that made the user active: its company is the user's, and it holds
    the security questions and answer hashes (Reinicio de clave)."""
    return (
        RegistrationRequest.objects.select_related("question1", "question2", "question3")
        .filter(user=user, status=RequestStatus.ACTIVE)
        .order_by("-status_changed_at", "-created")
        .first()
    )


def email_change_pending(*, user: User) -> OneTimeCode | None:
    """The live code of the user's email change: its `email` is the address waiting to be confirmed."""
    return live_codes(purpose=CodePurpose.EMAIL_CHANGE, user=user).first()


def current_terms() -> TermsVersion | None:
    """The convenio in force: the newest version published by today."""
    return TermsVersion.objects.filter(published__lte=timezone.localdate()).first()


def user_accepted_terms(*, user: User, version: TermsVersion) -> bool:
    """The user accepted ``version``: at registration (with a request of theirs) or since."""
    return TermsAcceptance.objects.filter(
        Q(user=user) | Q(request__user=user), version=version
    ).exists()
