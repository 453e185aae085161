"""Shapes of applicant input, with the seed's labels and Spanish messages."""

from registration.forms.account import (
    AccountEmailForm,
    AccountPasswordForm,
    AccountSmsForm,
    EmailCodeForm,
    IdLookupForm,
    LoginForm,
    PasswordResetForm,
    PasswordResetRequestForm,
    StatusLookupForm,
)
from registration.forms.fields import read_certificate_upload
from registration.forms.solicitud import (
    CorrectionForm,
    OceFormSet,
    OceRowForm,
    RepresentanteForm,
)

__all__ = [
    "AccountEmailForm",
    "AccountPasswordForm",
    "AccountSmsForm",
    "CorrectionForm",
    "EmailCodeForm",
    "IdLookupForm",
    "LoginForm",
    "OceFormSet",
    "OceRowForm",
    "PasswordResetForm",
    "PasswordResetRequestForm",
    "RepresentanteForm",
    "StatusLookupForm",
    "read_certificate_upload",
]
