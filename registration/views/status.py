"""The status page, its JSON, Consulta de estado: where a request stands and what to do now."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from registration import selectors, services
from registration.forms import (
    EmailCodeForm,
    StatusLookupForm,
)
from registration.kinds import COMPANY, SENAE, declaration_for
from registration.models import RegistrationRequest, RequestStatus
from registration.ratelimit import TOO_MANY_LOOKUPS, rate_limited
from registration.views import access
from workflow.deadlines import expected_decision

STATUS_HELP = {
    RequestStatus.SUBMITTED: "Su solicitud fue registrada. Estamos verificando su certificado digital.",
    RequestStatus.CERTIFICATE_VERIFIED: "Su certificado fue verificado. Un revisor del SENAE revisará la solicitud.",
    RequestStatus.VERIFICATION_FAILED: "No pudimos verificar su certificado digital. Revise los motivos y corrija la solicitud.",
    RequestStatus.OBSERVED: "El SENAE observó su solicitud. Lea las observaciones y corríjala.",
    RequestStatus.COMPANY_APPROVED: "El SENAE aprobó su solicitud. Estamos activando su usuario.",
    RequestStatus.ACTIVE: "Su usuario está activo. Ya puede iniciar sesión con su ID. usuario y contraseña.",
    RequestStatus.REJECTED: "Su solicitud fue rechazada.",
    RequestStatus.EXPIRED: "Su solicitud caducó porque no se completó a tiempo.",
    RequestStatus.DISABLED: "Su usuario está deshabilitado. Para habilitarlo, llame a Soporte al Cliente: 1800-223223.",
}


# Where the company's representative decides (Solicitud del uso (Empleado)), not SENAE.
COMPANY_STATUS_HELP = {
    RequestStatus.CERTIFICATE_VERIFIED: "Su certificado fue verificado. Un representante de la empresa revisará la solicitud.",
    RequestStatus.OBSERVED: "El representante de la empresa observó su solicitud. Lea las observaciones y corríjala.",
    RequestStatus.COMPANY_APPROVED: "La empresa aprobó su solicitud. Estamos activando su usuario.",
}


def status_help(request_obj: RegistrationRequest) -> str:
    """What the applicant should know or do now."""
    declaration = declaration_for(request_obj.kind)
    reviewed = declaration.reviewed
    if services.email_confirmation_pending(request_obj):
        then = "no pasa a revisión" if reviewed else "no se activa su usuario"
        return (
            "Confirme su correo electrónico con el código que le enviamos. "
            f"Sin esa confirmación su solicitud {then}."
        )
    if not reviewed and request_obj.status == RequestStatus.SUBMITTED:
        return "Su correo electrónico fue confirmado. Estamos activando su usuario."
    status = RequestStatus(request_obj.status)
    user = request_obj.user
    if status == RequestStatus.DISABLED and user is not None and user.disabled_reason:
        return f"Su usuario está deshabilitado. Motivo: {user.disabled_reason}"
    if declaration.approver == COMPANY and status in COMPANY_STATUS_HELP:
        return COMPANY_STATUS_HELP[status].replace("empresa", declaration.organisation)
    return STATUS_HELP.get(status, "")


def waiting_context(
    request_obj: RegistrationRequest, *, code_form: EmailCodeForm | None, code_message: str
) -> dict[str, Any]:
    """The email-confirmation form and the deadline of a request waiting for its applicant."""
    return {
        "email_pending": services.email_confirmation_pending(request_obj),
        "masked_email": services.mask_email(request_obj.email),
        "deadline": services.expiry_deadline(request_obj),
        "code_form": code_form or EmailCodeForm(),
        "code_message": code_message,
    }


def status_url(request_obj: RegistrationRequest) -> str:
    """The request's page: a clean URL, opened by the browser's grant (views.access)."""
    return reverse("registration:status", kwargs={"tracking_number": request_obj.tracking_number})


@never_cache
@require_GET
def status_open(request: HttpRequest, token: str = "") -> HttpResponse:
    """The emailed link: its token is exchanged for this browser's grant, then the clean URL.

    The token comes as `?t=` (older emails carried it in the path); it expires after
    ECUAPASS_STATUS_LINK_TTL_HOURS, and then Consulta de estado gives access again.
    """
    token = token or request.GET.get("t", "")
    try:
        tracking_number = services.request_from_access_token(token)
    except services.AccessLinkExpired:
        return access.lookup_page(request, message=access.LINK_EXPIRED, status=410)
    request_obj = (
        selectors.request_for_status_page(tracking_number=tracking_number)
        if tracking_number
        else None
    )
    if request_obj is None:
        return access.lookup_page(request, message=access.LINK_INVALID, status=404)
    access.status_access_grant(request, request_obj)
    return redirect(status_url(request_obj))


@never_cache
@require_GET
@access.with_status_access()
def request_status(request: HttpRequest, request_obj: RegistrationRequest) -> HttpResponse:
    return status_page(request, request_obj)


def status_page(
    request: HttpRequest,
    request_obj: RegistrationRequest,
    *,
    code_form: EmailCodeForm | None = None,
    code_message: str = "",
    status: int = 200,
) -> HttpResponse:
    """The status page; the confirmation views render it again with the code form's errors."""
    return render(
        request,
        "registration/status.html",
        {
            "req": request_obj,
            "events": selectors.request_events(request=request_obj),
            "help": status_help(request_obj),
            "reasons": selectors.request_verification_reasons(request=request_obj),
            "is_new": request.GET.get("nueva") == "1",
            "expected_decision": _expected_decision(request_obj),
            "poll_seconds": settings.ECUAPASS_STATUS_POLL_SECONDS,
            **waiting_context(request_obj, code_form=code_form, code_message=code_message),
        },
        status=status,
    )


# States in which a reviewer's decision is still ahead.
AWAITING_DECISION = (RequestStatus.SUBMITTED, RequestStatus.CERTIFICATE_VERIFIED)


def _expected_decision(request_obj: RegistrationRequest) -> Any:
    """When SENAE should decide, from the review SLA (business days, America/Guayaquil)."""
    if (
        declaration_for(request_obj.kind).approver != SENAE
        or request_obj.status not in AWAITING_DECISION
        or services.email_confirmation_pending(request_obj)
    ):
        return None  # no date while the applicant still has to confirm the email
    return expected_decision(start=request_obj.verified_at or request_obj.created)


@never_cache
@require_GET
@access.with_status_access(json=True)
def request_status_json(request: HttpRequest, request_obj: RegistrationRequest) -> HttpResponse:
    """What the open status page polls to update itself."""
    return JsonResponse(
        {
            "status": request_obj.status,
            "label": request_obj.get_status_display(),
            "events": request_obj.events.count(),
        }
    )


@require_http_methods(["GET", "POST"])
def request_lookup(request: HttpRequest) -> HttpResponse:
    """Consulta de estado: tracking number plus cédula, no login.

    The same answer whether the number doesn't exist or the cédula doesn't
    match, and rate-limited per client, so nobody learns who applied.
    """
    form = StatusLookupForm(request.POST or None)
    message = ""
    status = 200
    if request.method == "POST":
        if rate_limited(
            request, scope="consulta", per_minute=settings.ECUAPASS_STATUS_LOOKUP_PER_MINUTE
        ):
            message, status = (
                TOO_MANY_LOOKUPS,
                429,
            )
        elif form.is_valid():
            found = selectors.request_for_lookup(
                tracking_number=form.cleaned_data["tracking_number"],
                cedula=form.cleaned_data["cedula"],
            )
            if found is not None:
                access.status_access_grant(request, found)
                return redirect(status_url(found))
            message, status = "No encontramos una solicitud con ese número y esa cédula.", 404
    return render(
        request, "registration/lookup.html", {"form": form, "message": message}, status=status
    )
