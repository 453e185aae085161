"""Applicant-side data: users, reference data, requests and their parts, certificate trust."""

from registration.models.account import AccountAction, AccountEvent, CodePurpose, OneTimeCode
from registration.models.catalogues import (
    Canton,
    Company,
    MobileOperator,
    OceType,
    Province,
    SecurityQuestion,
)
from registration.models.requests import (
    CORRECTABLE_STATUSES,
    OPEN_ENDED,
    RELEASED_STATUSES,
    CertificateFile,
    Notification,
    NotificationKind,
    OceRow,
    RegistrationRequest,
    RequestEvent,
    RequestKind,
    RequestStatus,
    RequestVersion,
    StagedCertificate,
    TrackingCounter,
    certificate_upload_to,
)
from registration.models.trust import (
    CachedCrl,
    CertificateBinding,
    PossessionChallenge,
    TrustAnchor,
)
from registration.models.users import ID_USUARIO_VALIDATOR, User

__all__ = [
    "CORRECTABLE_STATUSES",
    "ID_USUARIO_VALIDATOR",
    "OPEN_ENDED",
    "RELEASED_STATUSES",
    "AccountAction",
    "AccountEvent",
    "CachedCrl",
    "Canton",
    "CertificateBinding",
    "CertificateFile",
    "CodePurpose",
    "Company",
    "MobileOperator",
    "Notification",
    "NotificationKind",
    "OceRow",
    "OceType",
    "OneTimeCode",
    "PossessionChallenge",
    "Province",
    "RegistrationRequest",
    "RequestEvent",
    "RequestKind",
    "RequestStatus",
    "RequestVersion",
    "SecurityQuestion",
    "StagedCertificate",
    "TrackingCounter",
    "TrustAnchor",
    "User",
    "certificate_upload_to",
]
