"""Security answers and the unguessable status link."""

from __future__ import annotations

import unicodedata
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.urls import reverse

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


class AccessLinkExpired(Exception):
    """A genuine status link, older than ECUAPASS_STATUS_LINK_TTL_HOURS."""


def request_access_token(request: RegistrationRequest) -> str:
    """The secret of the applicant's status link (signed, timestamped; it expires)."""
    return signing.dumps(request.tracking_number, salt=_ACCESS_SALT)


def request_status_link(request: RegistrationRequest) -> str:
    """The emailed link: the secret rides in the query once; the page itself has a clean URL."""
    return (
        settings.ECUAPASS_PUBLIC_URL.rstrip("/")
        + reverse("registration:status_open")
        + "?t="
        + request_access_token(request)
    )


def request_from_access_token(token: str) -> str | None:
    """The tracking number a link names; None if forged. Raises AccessLinkExpired when too old."""
    try:
        value = signing.loads(
            token,
            salt=_ACCESS_SALT,
            max_age=timedelta(hours=settings.ECUAPASS_STATUS_LINK_TTL_HOURS),
        )
    except signing.SignatureExpired as exc:
        raise AccessLinkExpired from exc
    except signing.BadSignature:
        return None
    return value if isinstance(value, str) else None
