"""A user disabled for missing the annual data update may log in only to update."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from registration.services.disabling import UPDATE_CAUSE


class AnnualUpdateRequiredMiddleware:
    """Every page but "Modificar información del uso", logging out and static files sends
    such a user to the update page, which shows the reason (services.user_disable)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and getattr(user, "disabled_cause", "") == UPDATE_CAUSE
        ):
            update = reverse("registration:annual_update")
            allowed = (update, reverse("registration:logout"), "/static/")
            if not request.path.startswith(allowed):
                return redirect(update)  # which says why
        return self.get_response(request)
