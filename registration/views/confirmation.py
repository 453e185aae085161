"""The applicant confirms the request's email with the code we sent (or asks for another)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from registration import services
from registration.forms import EmailCodeForm
from registration.models import RegistrationRequest
from registration.ratelimit import TOO_MANY_TRIES, client_address, rate_limited
from registration.views import access
from registration.views.status import status_page, status_url
from workflow import services as process_services


@never_cache
@require_POST
@access.with_status_access()
def email_confirm(request: HttpRequest, request_obj: RegistrationRequest) -> HttpResponse:
    if not services.email_confirmation_pending(request_obj):
        messages.info(request, services.email_not_pending_message(request_obj))
        return redirect(status_url(request_obj))
    form = EmailCodeForm(request.POST)
    if rate_limited(request, scope="codigo", per_minute=settings.ECUAPASS_CODE_TRIES_PER_MINUTE):
        return status_page(
            request,
            request_obj,
            code_form=form,
            code_message=TOO_MANY_TRIES,
            status=429,
        )
    if not form.is_valid():
        return status_page(request, request_obj, code_form=form, code_message="", status=400)
    try:
        outcome = process_services.email_confirm_submit(
            request=request_obj,
            code=form.cleaned_data["codigo"],
            source_ip=client_address(request),
        )
    except services.TransitionNotAllowed as exc:
        return status_page(request, request_obj, code_form=form, code_message=str(exc), status=409)
    if outcome is not services.CodeCheck.OK:
        return status_page(
            request,
            request_obj,
            code_form=form,
            code_message=services.CHECK_MESSAGES[outcome],
            status=400,
        )
    messages.success(request, "Correo confirmado. Ahora verificamos su certificado digital.")
    return redirect(status_url(request_obj))


@never_cache
@require_POST
@access.with_status_access()
def email_code_resend(request: HttpRequest, request_obj: RegistrationRequest) -> HttpResponse:
    if not services.email_confirmation_pending(request_obj):
        messages.info(request, services.email_not_pending_message(request_obj))
        return redirect(status_url(request_obj))
    if rate_limited(request, scope="reenvio", per_minute=settings.ECUAPASS_CODE_RESENDS_PER_MINUTE):
        return status_page(
            request,
            request_obj,
            code_form=EmailCodeForm(),
            code_message="Ya le enviamos un código hace poco. Espere un minuto antes de pedir otro.",
            status=429,
        )
    try:
        services.email_confirmation_send(request=request_obj)
    except services.TransitionNotAllowed as exc:
        return status_page(
            request, request_obj, code_form=EmailCodeForm(), code_message=str(exc), status=429
        )
    messages.success(
        request,
        f"Le enviamos un código nuevo a {services.mask_email(request_obj.email)}. "
        "Los códigos anteriores ya no sirven.",
    )
    return redirect(status_url(request_obj))
