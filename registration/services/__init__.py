"""Every write of the applicant side. A request's state changes only here.

`common` holds the one path a state change takes (`transition`: a locked row,
an allowed source state, an append-only history row in the same transaction).
"""

from registration.services.codes import (
    CHECK_MESSAGES,
    CodeCheck,
    code_check,
    code_issue,
    code_send,
    code_value,
)
from registration.services.common import (
    APPLICANT_ACTOR,
    SYSTEM_ACTOR,
    ActivationConflict,
    SubmissionConflict,
    TransitionNotAllowed,
    request_note,
)
from registration.services.lifecycle import (
    CORRECTABLE_FIELDS,
    CorrectionData,
    request_activate,
    request_approve,
    request_observe,
    request_record_job_failure,
    request_reject,
    request_resubmit,
)
from registration.services.notifications import (
    mailbox_mark_read,
    notification_deliver,
    notifications_resend_pending,
)
from registration.services.reference import reference_data_load
from registration.services.reverification import (
    ReverificationSummary,
    binding_disable,
    binding_warn_expiry,
    certificates_reverify,
)
from registration.services.secrets import (
    hash_security_answer,
    normalize_security_answer,
    request_access_token,
    request_from_access_token,
)
from registration.services.submission import (
    OceEntry,
    RepresentanteData,
    UploadedCertificate,
    availability_errors,
    request_submit,
    staged_certificates_add,
    staged_certificates_clear,
    staged_certificates_purge,
    staged_certificates_remove,
    staged_signature_replace,
)
from registration.services.trust import (
    DEMO_CA_NAME,
    DatabaseCrlCache,
    TrustStoreError,
    crl_import,
    demo_ca_ensure,
    trust_anchors_import,
    trust_store_load,
)
from registration.services.verification import (
    certificate_verification_compute,
    possession_challenge_for_form,
    possession_challenge_for_request,
    possession_problem,
    request_record_verification,
    verification_checks,
)

__all__ = [
    "APPLICANT_ACTOR",
    "CHECK_MESSAGES",
    "CORRECTABLE_FIELDS",
    "DEMO_CA_NAME",
    "SYSTEM_ACTOR",
    "ActivationConflict",
    "CodeCheck",
    "CorrectionData",
    "DatabaseCrlCache",
    "OceEntry",
    "RepresentanteData",
    "ReverificationSummary",
    "SubmissionConflict",
    "TransitionNotAllowed",
    "TrustStoreError",
    "UploadedCertificate",
    "availability_errors",
    "binding_disable",
    "binding_warn_expiry",
    "certificate_verification_compute",
    "certificates_reverify",
    "code_check",
    "code_issue",
    "code_send",
    "code_value",
    "crl_import",
    "demo_ca_ensure",
    "hash_security_answer",
    "mailbox_mark_read",
    "normalize_security_answer",
    "notification_deliver",
    "notifications_resend_pending",
    "possession_challenge_for_form",
    "possession_challenge_for_request",
    "possession_problem",
    "reference_data_load",
    "request_access_token",
    "request_activate",
    "request_approve",
    "request_from_access_token",
    "request_note",
    "request_observe",
    "request_record_job_failure",
    "request_record_verification",
    "request_reject",
    "request_resubmit",
    "request_submit",
    "staged_certificates_add",
    "staged_certificates_clear",
    "staged_certificates_purge",
    "staged_certificates_remove",
    "staged_signature_replace",
    "trust_anchors_import",
    "trust_store_load",
    "verification_checks",
]
