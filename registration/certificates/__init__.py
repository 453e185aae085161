"""Reading an uploaded X.509 certificate and the Ecuadorian identity inside it.

Pure functions: no I/O and no database. ``load_certificate`` turns an upload
into a certificate or a ``CertificateFileError`` with a Spanish message (it
refuses PKCS#12 containers and private keys, which must never be stored).
``read_identity`` reads both identity layouts described in DOMAIN.md
("Digital certificates"). ``verify_certificate`` runs a list of independent
checks, each returning findings, so that chain-of-trust and revocation checks
can be added later as more check objects.
"""

from registration.certificates.der import decode_der_string
from registration.certificates.identity import (
    LEGACY_ARCS,
    LEGACY_SUFFIXES,
    SUBJECT_CEDULA_PREFIX,
    SUBJECT_PASSPORT_PREFIX,
    SUBJECT_RUC_PREFIX,
    CertificateIdentity,
    holder_fields,
    person_names_differ,
    read_identity,
)
from registration.certificates.loading import (
    DEFAULT_MAX_SIZE,
    MESSAGE_EMPTY,
    MESSAGE_INVALID,
    MESSAGE_PKCS12,
    MESSAGE_PRIVATE_KEY,
    MESSAGE_TOO_LARGE,
    CertificateBundle,
    CertificateFileError,
    load_certificate,
    load_certificate_bundle,
)
from registration.certificates.possession import (
    PossessionResult,
    challenge_text,
    openssl_command,
    verify_possession,
)
from registration.certificates.verification import (
    CertificateCheck,
    Finding,
    IdentityMatchCheck,
    ValidityWindowCheck,
    VerificationContext,
    VerificationResult,
    default_checks,
    verify_certificate,
)

__all__ = [
    "DEFAULT_MAX_SIZE",
    "LEGACY_ARCS",
    "LEGACY_SUFFIXES",
    "MESSAGE_EMPTY",
    "MESSAGE_INVALID",
    "MESSAGE_PKCS12",
    "MESSAGE_PRIVATE_KEY",
    "MESSAGE_TOO_LARGE",
    "SUBJECT_CEDULA_PREFIX",
    "SUBJECT_PASSPORT_PREFIX",
    "SUBJECT_RUC_PREFIX",
    "CertificateBundle",
    "CertificateCheck",
    "CertificateFileError",
    "CertificateIdentity",
    "Finding",
    "IdentityMatchCheck",
    "PossessionResult",
    "ValidityWindowCheck",
    "VerificationContext",
    "VerificationResult",
    "challenge_text",
    "decode_der_string",
    "default_checks",
    "holder_fields",
    "load_certificate",
    "load_certificate_bundle",
    "openssl_command",
    "person_names_differ",
    "read_identity",
    "verify_certificate",
    "verify_possession",
]
