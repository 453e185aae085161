"""Mi página's changes: password, email (re-verified by code), SMS preference.

Each form posts to its own URL (with its section's #anchor); on an error the whole
page is shown again with what was typed (passwords excepted) and the message next
to the field; on success, a redirect to the top of Mi página and a message there.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from registration import selectors, services, validators
from registration.forms import AccountEmailForm, AccountPasswordForm, AccountSmsForm, EmailCodeForm
from registration.models import User
from registration.ratelimit import client_address, rate_limited

# Changes a client may post per minute, over all of Mi página's forms.
POSTS_PER_MINUTE = 20
TOO_FAST = "Demasiados envíos seguidos. Espere un minuto e intente de nuevo."
# Refusals that are about the current password, shown next to its field.
PASSWORD_RESULTS = (services.AccountResult.WRONG_CURRENT, services.AccountResult.LOCKED)
# Two forms ask for the current password: each form gets its own HTML ids.
PASSWORD_IDS, EMAIL_IDS, SMS_IDS = "id_clave_%s", "id_correo_%s", "id_sms_%s"

AccountView = Callable[[HttpRequest, User], HttpResponse]


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):  # login_required runs first; this narrows the type
        raise PermissionDenied
    return user


def _back(section: str) -> HttpResponse:
    return redirect(reverse("registration:mi_pagina") + f"#{section}")


def _done(request: HttpRequest, message: str) -> HttpResponse:
    """Back to the top of Mi página, where the message shows (the form's #section is dropped)."""
    messages.success(request, message)
    return _back("contenido")


def mi_pagina_render(
    request: HttpRequest,
    *,
    status: int = 200,
    password_form: AccountPasswordForm | None = None,
    email_form: AccountEmailForm | None = None,
    code_form: EmailCodeForm | None = None,
    sms_form: AccountSmsForm | None = None,
) -> HttpResponse:
    """Mi página with every section; the form that failed comes in bound, with its errors."""
    user = _user(request)
    pending = selectors.email_change_pending(user=user)
    return render(
        request,
        "registration/mi_pagina.html",
        {
            "requests": selectors.requests_of_user(user=user),
            "active_request": selectors.user_active_request(user=user),
            "company_request": selectors.user_company_request(user=user),
            "celular_display": validators.format_national(user.celular) if user.celular else "",
            "pending_email": pending.email if pending else "",
            "password_form": password_form or AccountPasswordForm(user=user, auto_id=PASSWORD_IDS),
            "email_form": email_form or AccountEmailForm(user=user, auto_id=EMAIL_IDS),
            "code_form": code_form or EmailCodeForm(auto_id=EMAIL_IDS),
            "sms_form": sms_form or AccountSmsForm.for_user(user, auto_id=SMS_IDS),
            "update_due": services.update_due(user=user, today=services.local_today()),
        },
        status=status,
    )


def account_change(section: str) -> Callable[[AccountView], Callable[[HttpRequest], HttpResponse]]:
    """Login required; a GET goes back to the section; a client posting too fast waits."""

    def decorate(view: AccountView) -> Callable[[HttpRequest], HttpResponse]:
        @never_cache  # Mi página with the user's data, re-rendered with a form's errors
        @login_required
        @require_http_methods(["GET", "POST"])
        @functools.wraps(view)
        def wrapper(request: HttpRequest) -> HttpResponse:
            if request.method != "POST":
                return _back(section)
            if rate_limited(request, scope="mi-pagina", per_minute=POSTS_PER_MINUTE):
                messages.error(request, TOO_FAST)
                return mi_pagina_render(request, status=429)
            return view(request, _user(request))

        return wrapper

    return decorate


def _refused_status(result: services.AccountResult) -> int:
    return 429 if result is services.AccountResult.LOCKED else 400


@account_change("contrasena")
def password_change(request: HttpRequest, user: User) -> HttpResponse:
    form = AccountPasswordForm(request.POST, user=user, auto_id=PASSWORD_IDS)
    if not form.is_valid():
        return mi_pagina_render(request, password_form=form, status=400)
    result = services.password_change(
        user=user,
        current_password=form.cleaned_data["current_password"],
        new_password=form.cleaned_data["new_password"],
        source_ip=client_address(request),
    )
    if result is not services.AccountResult.OK:
        form.add_error("current_password", services.ACCOUNT_MESSAGES[result])
        return mi_pagina_render(request, password_form=form, status=_refused_status(result))
    update_session_auth_hash(request, user)
    return _done(
        request,
        "Su contraseña cambió. Úsela desde ahora para iniciar sesión; "
        "las demás sesiones abiertas con su usuario se cerraron.",
    )


@account_change("correo")
def email_change(request: HttpRequest, user: User) -> HttpResponse:
    form = AccountEmailForm(request.POST, user=user, auto_id=EMAIL_IDS)
    if not form.is_valid():
        return mi_pagina_render(request, email_form=form, status=400)
    new_email = form.cleaned_data["new_email"]
    result = services.email_change_request(
        user=user,
        new_email=new_email,
        current_password=form.cleaned_data["current_password"],
        source_ip=client_address(request),
    )
    if result is not services.AccountResult.OK:
        field = "current_password" if result in PASSWORD_RESULTS else None
        form.add_error(field, services.ACCOUNT_MESSAGES[result])
        return mi_pagina_render(request, email_form=form, status=_refused_status(result))
    return _done(
        request,
        f"Le enviamos un código a {new_email}. Ingréselo abajo para confirmar el cambio; "
        "hasta entonces su Correo Electrónico no cambia.",
    )


@account_change("correo")
def email_change_confirm(request: HttpRequest, user: User) -> HttpResponse:
    form = EmailCodeForm(request.POST, auto_id=EMAIL_IDS)
    if not form.is_valid():
        return mi_pagina_render(request, code_form=form, status=400)
    check = services.email_change_confirm(
        user=user, code=form.cleaned_data["codigo"], source_ip=client_address(request)
    )
    if check is not services.CodeCheck.OK:
        form.add_error("codigo", services.CHECK_MESSAGES[check])
        return mi_pagina_render(request, code_form=form, status=400)
    return _done(
        request,
        f"Su Correo Electrónico ahora es {user.email}. "
        "Enviamos un aviso del cambio a su correo anterior.",
    )


@account_change("correo")
def email_change_resend(request: HttpRequest, user: User) -> HttpResponse:
    result = services.email_change_resend(user=user, source_ip=client_address(request))
    if result is services.AccountResult.OK:
        return _done(request, "Le enviamos un código nuevo. El código anterior ya no sirve.")
    messages.error(request, services.ACCOUNT_MESSAGES[result])
    return _back("contenido")


@account_change("sms")
def sms_preference(request: HttpRequest, user: User) -> HttpResponse:
    form = AccountSmsForm(request.POST, auto_id=SMS_IDS)
    if not form.is_valid():
        return mi_pagina_render(request, sms_form=form, status=400)
    recibir, celular = form.cleaned_data["recibir_sms"], form.cleaned_data["celular"]
    services.sms_preference_set(
        user=user, recibir_sms=recibir, celular=celular, source_ip=client_address(request)
    )
    return _done(
        request,
        f"Preferencia guardada: recibirá mensajes SMS en el {validators.format_national(celular)}."
        if recibir
        else "Preferencia guardada: no recibirá mensajes SMS.",
    )
