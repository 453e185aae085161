"""Staff sessions end: after ECUAPASS_STAFF_IDLE_MINUTES idle, ECUAPASS_STAFF_SESSION_HOURS in all.

A reviewer's or supervisor's session carries the TOTP verification, so it is
the one worth stealing: it ends (flushed, so the verification ends with it)
after a while without a request and, however busy, some hours after login.
The stamps live in the session itself (the database), so every worker sees
them. Applicants keep Django's session lifetime (SESSION_COOKIE_AGE).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from approvals.two_factor import needs_second_factor

# {"user": pk, "login": epoch seconds, "seen": epoch seconds}
SESSION_STAMP_KEY = "approvals_staff_session"
# The last-seen stamp is rewritten at most this often (a session write per request is waste).
SEEN_RESOLUTION_SECONDS = 60

SESSION_ENDED = (
    "Su sesión terminó por seguridad (inactividad o duración máxima). "
    "Ingrese de nuevo con su ID. usuario, su contraseña y el código de verificación."
)


class StaffSessionLifetimeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if needs_second_factor(user):
            now = int(time.time())
            stamp = request.session.get(SESSION_STAMP_KEY)
            if not isinstance(stamp, dict) or stamp.get("user") != user.pk:
                request.session[SESSION_STAMP_KEY] = {"user": user.pk, "login": now, "seen": now}
            elif (
                now - int(stamp["seen"]) > settings.ECUAPASS_STAFF_IDLE_MINUTES * 60
                or now - int(stamp["login"]) > settings.ECUAPASS_STAFF_SESSION_HOURS * 3600
            ):
                logout(request)  # flushes the session: the TOTP verification ends too
                messages.info(request, SESSION_ENDED)
            elif now - int(stamp["seen"]) >= SEEN_RESOLUTION_SECONDS:
                request.session[SESSION_STAMP_KEY] = {**stamp, "seen": now}
        return self.get_response(request)
