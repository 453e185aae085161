"""Every write of the applicant side. A request's state changes only here.

`common` holds the one path a state change takes (`transition`: a locked row,
an allowed source state, an append-only history row in the same transaction).
"""

from registration.services.common import (
    APPLICANT_ACTOR,
    SYSTEM_ACTOR,
    ActivationConflict,
    SubmissionConflict,
    TransitionNotAllowed,
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
    request_verify_certificate,
)
from registration.services.reference import reference_data_load
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
)

__all__ = [
    "APPLICANT_ACTOR",
    "CORRECTABLE_FIELDS",
    "SYSTEM_ACTOR",
    "ActivationConflict",
    "CorrectionData",
    "OceEntry",
    "RepresentanteData",
    "SubmissionConflict",
    "TransitionNotAllowed",
    "UploadedCertificate",
    "availability_errors",
    "hash_security_answer",
    "normalize_security_answer",
    "reference_data_load",
    "request_access_token",
    "request_activate",
    "request_approve",
    "request_from_access_token",
    "request_observe",
    "request_record_job_failure",
    "request_reject",
    "request_resubmit",
    "request_submit",
    "request_verify_certificate",
    "staged_certificates_add",
    "staged_certificates_clear",
    "staged_certificates_purge",
    "staged_certificates_remove",
]
