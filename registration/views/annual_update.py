""" "3.2.3 Modificar información del uso": the annual data update, with an emailed code."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from registration import services, validators
from registration.forms import AnnualUpdateForm
from registration.kinds import declaration_for, field_value
from registration.models import RegistrationRequest, User
from registration.ratelimit import client_address, rate_limited
from registration.views.solicitud import show_conflict

PHONE_FIELDS = ("telefono1", "telefono2", "celular", "fax", "telefono_empresa")


def _initial(request_obj: RegistrationRequest, fields: tuple[str, ...]) -> dict[str, Any]:
    initial = {name: field_value(request_obj, name) for name in fields}
    for name in PHONE_FIELDS:
        if initial.get(name):
            initial[name] = validators.format_national(initial[name])
    return initial


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def annual_update(request: HttpRequest) -> HttpResponse:
    """The user's contact data, changed or confirmed; «Enviar código» emails the code that
    «Guardar» needs. Whatever fails, what was typed stays on the page."""
    user = request.user
    assert isinstance(user, User)
    request_obj = services.update_request(user=user)
    if request_obj is None:
        return render(request, "registration/annual_update.html", {"req": None}, status=403)
    fields = services.updatable_fields(request_obj)
    declaration = declaration_for(request_obj.kind)
    kwargs: dict[str, Any] = {
        "fields": fields,
        "organisation_label": declaration.label("telefono_empresa"),
        "terms": services.terms_to_accept(user=user),
    }
    window = services.update_window(services.local_today())
    status = 200
    if request.method == "GET":
        form = AnnualUpdateForm(initial=_initial(request_obj, fields), **kwargs)
    else:
        form = AnnualUpdateForm(request.POST, **kwargs)
        if form.is_valid() and request.POST.get("accion") == "enviar":
            if rate_limited(
                request,
                scope="codigo-actualizacion",
                per_minute=settings.ECUAPASS_CODE_RESENDS_PER_MINUTE,
            ):
                form.add_error(
                    "codigo",
                    "Ya le enviamos un código hace poco. Espere un minuto antes de pedir otro.",
                )
                status = 429
            else:
                services.annual_update_code_send(user=user)
                messages.success(
                    request,
                    f"Le enviamos un código a {services.mask_email(user.email)}. "
                    "Ingréselo y pulse «Guardar».",
                )
        elif form.is_valid():
            if not form.cleaned_data["codigo"]:
                form.add_error(
                    "codigo",
                    "Ingrese el código que le enviamos por correo (pídalo con «Enviar código»).",
                )
            else:
                try:
                    services.annual_update_save(
                        user=user,
                        values=form.values(),
                        code=form.cleaned_data["codigo"],
                        today=services.local_today(),
                        terms_accepted=bool(form.cleaned_data.get("acepta_convenio")),
                        source_ip=client_address(request),
                    )
                except services.SubmissionConflict as exc:
                    show_conflict(form, exc)
                except services.TransitionNotAllowed as exc:
                    form.add_error(None, str(exc))
                else:
                    messages.success(request, "Sus datos se actualizaron. Gracias.")
                    return redirect("registration:mi_pagina")
        if form.errors:
            status = max(status, 400)
    return render(
        request,
        "registration/annual_update.html",
        {
            "req": request_obj,
            "form": form,
            "organisation_fields": [
                (declaration.label(name), field_value(request_obj, name))
                for name in ("ruc", "razon_social", "direccion_empresa")
                if name in dict(declaration.snapshot_fields)
            ],
            "due": services.update_due(user=user, today=services.local_today()),
            "window": window,
            "last_day": (window.deadline - timedelta(days=1)).strftime("%d/%m/%Y"),
        },
        status=status,
    )
