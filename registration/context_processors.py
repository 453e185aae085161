"""What every page shows about the logged-in user: the Buzón Electrónico's unread count."""

from __future__ import annotations

from django.http import HttpRequest

from registration import selectors
from registration.models import User


def mailbox(request: HttpRequest) -> dict[str, int]:
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        return {}
    return {"mailbox_unread": selectors.mailbox_unread(user=user)}
