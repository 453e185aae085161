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
from registration.forms.fields import (
    MAX_ID,
    IdField,
    IdListField,
    StagedDeleteForm,
    StagedRemovalForm,
    read_certificate_upload,
)
from registration.forms.solicitud import (
    PUBLIC_RUC_REQUIRED,
    CorrectionForm,
    EmpleadoForm,
    EntidadForm,
    GeneralForm,
    OceFormSet,
    OceRowForm,
    RepresentanteEntidadForm,
    RepresentanteForm,
)

__all__ = [
    "MAX_ID",
    "PUBLIC_RUC_REQUIRED",
    "AccountEmailForm",
    "AccountPasswordForm",
    "AccountSmsForm",
    "CorrectionForm",
    "EmailCodeForm",
    "EmpleadoForm",
    "EntidadForm",
    "GeneralForm",
    "IdField",
    "IdListField",
    "IdLookupForm",
    "LoginForm",
    "OceFormSet",
    "OceRowForm",
    "PasswordResetForm",
    "PasswordResetRequestForm",
    "RepresentanteEntidadForm",
    "RepresentanteForm",
    "StagedDeleteForm",
    "StagedRemovalForm",
    "StatusLookupForm",
    "read_certificate_upload",
]
