"""The known-device cookie: a browser where this ID. usuario logged in or reset its password.

It lets the owner past the per-ID login throttle (registration/services/login.py)
while someone else is guessing the password from elsewhere; it proves nothing
else (the password is still checked, and the per-client lockout still applies).
Signed with SECRET_KEY, so it can't be forged for another ID.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse

COOKIE = "ecuapass_dispositivo"
_SALT = "registration.known-device"


def known_device_for(request: HttpRequest, username: str) -> bool:
    """True if this browser holds a valid known-device cookie for `username`."""
    value = request.get_signed_cookie(
        COOKIE, default="", salt=_SALT, max_age=settings.ECUAPASS_KNOWN_DEVICE_DAYS * 86400
    )
    return bool(value) and value == username.strip().lower()


def known_device_remember(response: HttpResponse, username: str) -> None:
    response.set_signed_cookie(
        COOKIE,
        username.strip().lower(),
        salt=_SALT,
        max_age=settings.ECUAPASS_KNOWN_DEVICE_DAYS * 86400,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
