"""Security answers and the unguessable status link."""

from __future__ import annotations

import unicodedata

from django.contrib.auth.hashers import make_password
from django.core import signing

from registration.models import (
    RegistrationRequest,
)

_ACCESS_SALT = "registration.request-access"


def normalize_security_answer(answer: str) -> str:
    """Answers are compared case-, accent- and spacing-insensitively."""
    decomposed = unicodedata.normalize("NFKD", answer.casefold())
    without_accents = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(without_accents.split())


def hash_security_answer(answer: str) -> str:
    return make_password(normalize_security_answer(answer))


def request_access_token(request: RegistrationRequest) -> str:
    """The unguessable part of the applicant's status link."""
    return signing.dumps(request.tracking_number, salt=_ACCESS_SALT)


def request_from_access_token(token: str) -> str | None:
    try:
        value = signing.loads(token, salt=_ACCESS_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, str) else None
