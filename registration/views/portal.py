"""Paso 1 and 2: the portal home, Solicitud del uso, the public information services, login."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from registration import selectors, services, validators
from registration.company_registry import company_registry
from registration.forms import LoginForm
from registration.known_device import known_device_remember
from registration.models import RequestKind
from registration.ratelimit import TOO_MANY_LOOKUPS, rate_limited
from registration.views import account
from workflow.selectors import STAFF_PERMISSIONS


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "registration/home.html", {"login_form": LoginForm(request)})


@require_GET
def solicitud_index(request: HttpRequest) -> HttpResponse:
    return render(request, "registration/solicitud_index.html", {"kinds": RequestKind})


@require_GET
def catalogos(request: HttpRequest) -> HttpResponse:
    """2.6 Catálogos: provinces with their cities, and OCE types."""
    return render(
        request,
        "registration/catalogos.html",
        {"provinces": selectors.provinces_with_cantones(), "oce_types": selectors.oce_types()},
    )


@require_GET
def ruc_consulta(request: HttpRequest) -> HttpResponse:
    """2.4.1 Puntos de vista de RUC: what the registry knows of a RUC."""
    ruc = request.GET.get("ruc", "").strip()
    context: dict[str, object] = {"ruc": ruc}
    if ruc:
        if rate_limited(request, scope="ruc"):
            context["error"] = TOO_MANY_LOOKUPS
        else:
            try:
                number = validators.validate_ruc(ruc).number
            except ValidationError as exc:
                context["error"] = " ".join(exc.messages)
            else:
                context["record"] = company_registry().lookup(number)
                context["searched"] = number
    return render(request, "registration/ruc_consulta.html", context)


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_success_url(self) -> str:
        # SENAE staff work in the review queue, not Mi página: the queue's guard asks for
        # the second factor first and then returns there. An explicit ?next= still wins.
        user = self.request.user
        if not self.get_redirect_url() and any(user.has_perm(p) for p in STAFF_PERMISSIONS):
            return reverse("approvals:queue")
        return super().get_success_url()

    def form_valid(self, form: LoginForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_valid(form)
        # This browser now passes the per-ID login throttle for this ID (known_device.py).
        known_device_remember(response, form.get_user().get_username())
        return response


@never_cache
@login_required
@require_GET
def mi_pagina(request: HttpRequest) -> HttpResponse:
    """Mis datos, password, email and SMS forms, Mis solicitudes, Buzón Electrónico."""
    return account.mi_pagina_render(request)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A stale or cookieless form: say what to do; the browser still has the values."""
    return render(request, "registration/csrf_failure.html", status=403)


@never_cache
@login_required
@require_GET
def buzon(request: HttpRequest) -> HttpResponse:
    """Buzón Electrónico: the messages about the user's requests; opening it reads them."""
    user = request.user
    messages = selectors.mailbox(user=user)  # type: ignore[arg-type]
    unread = {n.pk for n in messages if n.read is None}
    services.mailbox_mark_read(user=user)  # type: ignore[arg-type]
    return render(request, "registration/buzon.html", {"notifications": messages, "unread": unread})


def company_user_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Login, and a company user: a General user gets a 403 that says how to become one."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        company_request = selectors.user_company_request(user=request.user)  # type: ignore[arg-type]
        if company_request is None:
            return render(request, "registration/company_required.html", status=403)
        return view(request, company_request, *args, **kwargs)

    return wrapper


@never_cache
@require_GET
@company_user_required
def mi_empresa(request: HttpRequest, company_request: Any) -> HttpResponse:
    """Mi empresa: the company this user represents, as SENAE approved it, and its OCEs."""
    return render(request, "registration/mi_empresa.html", {"r": company_request})
