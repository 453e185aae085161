"""Buscar ID/Reinicio de clave: the same answers whether or not an account matches.

Reinicio de clave has three steps. The ID. usuario typed in the first one, and
later the verified code, travel in the session, never in the URL: (1) the ID →
a code to the registered email; (2) the code → the session is verified for a
few minutes; (3) the security answers and the new password twice.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from registration import selectors, services
from registration.forms import (
    EmailCodeForm,
    IdLookupForm,
    PasswordResetForm,
    PasswordResetRequestForm,
)
from registration.known_device import known_device_remember
from registration.ratelimit import TOO_MANY_TRIES, client_address, rate_limited

SESSION_KEY = "password_reset"
ID_SENT = (
    "Si los datos corresponden a un usuario registrado, le enviamos su ID. usuario "
    "al correo registrado."
)
CODE_SENT = (
    "Si el ID. usuario {username} corresponde a un usuario activo, le enviamos un código "
    "al correo registrado. Vence en {minutes} minutos."
)
CODE_REFUSED = (
    "El código no es correcto o ya no es válido. Revise el último correo que le enviamos "
    "o pida un código nuevo."
)
CODES_EXHAUSTED = "Demasiados intentos con el código. Pida un código nuevo."
START_FIRST = "Para reiniciar su clave, escriba primero su ID. usuario."
VERIFICATION_EXPIRED = "Pasó demasiado tiempo desde que ingresó el código. Pida un código nuevo."
ANSWERS_WRONG = (
    "Las respuestas de seguridad no coinciden con las registradas. Le quedan {left} {intentos}."
)
ANSWERS_LOCKED = "Demasiados intentos con las respuestas de seguridad. Pida un código nuevo."
RESET_DONE_MESSAGE = "Su clave fue cambiada. Inicie sesión con su ID. usuario y la nueva clave."


def _limited(request: HttpRequest, scope: str) -> bool:
    return rate_limited(request, scope=scope, per_minute=settings.ECUAPASS_RECOVERY_RATE_PER_MINUTE)


def _start_page(
    request: HttpRequest,
    *,
    lookup_form: IdLookupForm | None = None,
    reset_form: PasswordResetRequestForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "registration/recovery/start.html",
        {
            "lookup_form": lookup_form or IdLookupForm(),
            "reset_form": reset_form or PasswordResetRequestForm(),
            "lookup_error": error if lookup_form is not None else "",
            "reset_error": error if reset_form is not None else "",
        },
        status=status,
    )


def _reset_state(request: HttpRequest) -> dict[str, Any] | None:
    state = request.session.get(SESSION_KEY)
    return state if isinstance(state, dict) and state.get("username") else None


def _reset_end(request: HttpRequest, message: str) -> HttpResponse:
    request.session.pop(SESSION_KEY, None)
    messages.error(request, message)
    return redirect("registration:buscar_id")


@require_http_methods(["GET", "POST"])
def buscar_id(request: HttpRequest) -> HttpResponse:
    """The entry page; a POST here is "Buscar ID" (cédula and email → the ID by email)."""
    if request.method != "POST":
        return _start_page(request)
    form = IdLookupForm(request.POST)
    if _limited(request, "buscar-id"):
        return _start_page(request, lookup_form=form, error=TOO_MANY_TRIES, status=429)
    if not form.is_valid():
        return _start_page(request, lookup_form=form)
    services.user_id_lookup_start(
        cedula=form.cleaned_data["cedula"],
        email=form.cleaned_data["email"],
        source_ip=client_address(request),
    )
    messages.success(request, ID_SENT)
    return redirect("registration:buscar_id")


@require_http_methods(["GET", "POST"])
def reset_request(request: HttpRequest) -> HttpResponse:
    """Reinicio de clave, step 1 (also "Pedir un código nuevo"): a code to the registered email."""
    if request.method != "POST":  # the form is on the entry page
        return redirect("registration:buscar_id")
    form = PasswordResetRequestForm(request.POST)
    if _limited(request, "reinicio"):
        return _start_page(request, reset_form=form, error=TOO_MANY_TRIES, status=429)
    if not form.is_valid():
        return _start_page(request, reset_form=form)
    username = form.cleaned_data["id_usuario"]
    services.password_reset_request_start(username=username, source_ip=client_address(request))
    request.session[SESSION_KEY] = {"username": username, "wrong_codes": 0}
    messages.success(
        request,
        CODE_SENT.format(username=username, minutes=settings.ECUAPASS_CODE_TTL_MINUTES),
    )
    return redirect("registration:reset_code")


@require_http_methods(["GET", "POST"])
def reset_code(request: HttpRequest) -> HttpResponse:
    """Step 2: the code from the email; the same refusal whether or not the ID exists."""
    state = _reset_state(request)
    if state is None:
        messages.info(request, START_FIRST)
        return redirect("registration:buscar_id")
    form = EmailCodeForm(request.POST or None)
    error, status = "", 200
    if request.method == "POST":
        if _limited(request, "reinicio-codigo"):
            error, status = TOO_MANY_TRIES, 429
        elif form.is_valid():
            code_id = services.password_reset_code_verify(
                username=state["username"],
                code=form.cleaned_data["codigo"],
                source_ip=client_address(request),
            )
            if code_id is not None:
                request.session.cycle_key()  # a new session id for the verified session
                request.session[SESSION_KEY] = {"username": state["username"], "code_id": code_id}
                return redirect("registration:reset_password")
            wrong = int(state.get("wrong_codes", 0)) + 1
            if wrong >= settings.ECUAPASS_CODE_MAX_ATTEMPTS:
                return _reset_end(request, CODES_EXHAUSTED)
            request.session[SESSION_KEY] = {**state, "wrong_codes": wrong}
            error = CODE_REFUSED
    return render(
        request,
        "registration/recovery/code.html",
        {"form": form, "username": state["username"], "error": error},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def reset_password(request: HttpRequest) -> HttpResponse:
    """Step 3: only in a session verified by the code; answers and the new password."""
    state = _reset_state(request)
    if state is None or not state.get("code_id"):
        messages.info(request, START_FIRST)
        return redirect("registration:buscar_id")
    code = selectors.password_reset_verified_code(code_id=int(state["code_id"]))
    holder = (
        selectors.user_active_request(user=code.user)
        if code is not None and code.user is not None
        else None
    )
    if code is None or code.user is None or holder is None:
        return _reset_end(request, VERIFICATION_EXPIRED)
    questions = (holder.question1.text, holder.question2.text, holder.question3.text)
    form = PasswordResetForm(request.POST or None, user=code.user, questions=questions)
    status = 200
    if request.method == "POST":
        if _limited(request, "reinicio-clave"):
            form.is_valid()
            form.add_error(None, TOO_MANY_TRIES)
            status = 429
        elif form.is_valid():
            d = form.cleaned_data
            result = services.password_reset_complete(
                code_id=code.pk,
                answers=(d["answer1"], d["answer2"], d["answer3"]),
                password=d["password"],
                source_ip=client_address(request),
            )
            outcome = result.outcome
            if outcome in (services.ResetOutcome.DONE, services.ResetOutcome.ALREADY_DONE):
                request.session.pop(SESSION_KEY, None)
                messages.success(request, RESET_DONE_MESSAGE)
                response = redirect("registration:login")
                # The owner proved it (code and answers): past the per-ID login throttle here.
                known_device_remember(response, code.user.username)
                return response
            if outcome == services.ResetOutcome.LOCKED:
                return _reset_end(request, ANSWERS_LOCKED)
            if outcome == services.ResetOutcome.EXPIRED:
                return _reset_end(request, VERIFICATION_EXPIRED)
            left = result.attempts_left
            form.add_error(
                None,
                ANSWERS_WRONG.format(left=left, intentos="intento" if left == 1 else "intentos"),
            )
    return render(
        request,
        "registration/recovery/password.html",
        {"form": form, "username": code.user.username},
        status=status,
    )
