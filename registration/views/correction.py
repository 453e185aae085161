"""The correction loop: the applicant edits what was observed and sends it back."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from registration import selectors, services, validators
from registration.certificates.possession import (
    CHALLENGE_FILENAME,
    MESSAGE_WRONG_CONTENT,
    openssl_command,
)
from registration.forms import (
    CorrectionForm,
    EmailCodeForm,
    OceFormSet,
)
from registration.kinds import declaration_for, field_value
from registration.models import RegistrationRequest, RequestStatus
from registration.ratelimit import TOO_MANY_TRIES, client_address, rate_limited
from registration.views import access
from registration.views.lookups import (
    challenge_file_response,
    remove_ticked_staged,
    session_key,
    stage_appointment,
    stage_uploads,
)
from registration.views.solicitud import SIGNATURE_RETIRED, oce_entries, show_conflict
from registration.views.status import status_url
from workflow import services as process_services


@never_cache
@require_http_methods(["GET", "POST"])
@access.with_status_access()
def request_correct(request: HttpRequest, request_obj: RegistrationRequest) -> HttpResponse:
    """The correction loop: only what is open (services.correctable_items) can change.

    The rest shows read-only; request_resubmit refuses it again. A failed submit
    keeps what was typed and every accepted file (kept for this browser and this
    request until the correction goes through). Seeing the status is not enough:
    the browser must have entered the code sent to the request's current email
    (or be the applicant's login), see correction_access.
    """

    if not request_obj.is_correctable:
        return redirect(status_url(request_obj))
    if not access.has_correction_access(request, request_obj):
        return redirect(_access_url(request_obj))
    editable = services.correctable_items(request=request_obj)
    files_open = services.CERTIFICATES_ITEM in editable
    appointment_open = services.APPOINTMENT_ITEM in editable
    key = _correction_key(request, request_obj)
    file_choices = [(str(c.pk), c.original_name) for c in request_obj.certificates.all()]
    form_kwargs: dict[str, Any] = {
        "initial": _correction_initial(request_obj),
        "file_choices": file_choices,
        "editable": editable,
        "removable": services.removable_certificate_ids(request=request_obj),
        "shown": _kind_fields(request_obj),
        "kind": request_obj.kind,
    }
    if request.method == "GET":
        form = CorrectionForm(
            appointment_kept=selectors.staged_appointment(session_key=key) is not None,
            **form_kwargs,
        )
        oce_formset = (
            OceFormSet(_correction_oce_rows(request_obj), prefix="oce")
            if services.OCES_ITEM in editable
            else None
        )
        return _render_correction(request, request_obj, form, oce_formset, key)

    # Files first: whatever else is wrong, every acceptable file is kept.
    file_errors: list[str] = []
    staged: list[Any] = []
    if files_open:
        file_errors = remove_ticked_staged(request, key)
        file_errors += stage_uploads(request, key)
        staged = selectors.staged_certificate_contents(session_key=key)
    appointment_errors = stage_appointment(request, key) if appointment_open else []
    appointment = selectors.staged_appointment(session_key=key) if appointment_open else None
    form = CorrectionForm(
        request.POST,
        staged_count=len(staged),
        file_errors=file_errors,
        appointment_kept=appointment is not None,
        appointment_errors=appointment_errors,
        **form_kwargs,
    )
    oce_formset = OceFormSet(request.POST, prefix="oce") if services.OCES_ITEM in editable else None
    valid = form.is_valid()
    valid = (oce_formset is None or oce_formset.is_valid()) and valid
    signature = b""
    if files_open:  # in the same round as the other errors, not after them
        signature = _correction_signature(request_obj, form, key, staged, file_choices)
    if valid and not form.errors:
        d = form.cleaned_data
        challenge = services.possession_challenge_for_request(request=request_obj)
        data = services.CorrectionData(
            **{name: d[name] for name in services.CORRECTABLE_FIELDS if name in editable},
            oces=oce_entries(oce_formset) if oce_formset is not None else None,
            new_files=tuple(services.UploadedCertificate(s.name, bytes(s.content)) for s in staged),
            remove_file_ids=tuple(int(i) for i in d.get("remove_files") or ()),
            appointment=services.UploadedCertificate(appointment.name, bytes(appointment.content))
            if appointment is not None
            else None,
            ruc_warnings=form.ruc_warnings,
            possession_challenge=challenge.text if signature else "",
            possession_signature=signature,
            source_ip=client_address(request),
        )
        try:
            process_services.correction_submit(request=request_obj, data=data)
        except services.TransitionNotAllowed as exc:
            form.add_error(None, str(exc))
        except services.SubmissionConflict as exc:
            show_conflict(form, exc)
        else:
            services.staged_certificates_clear(session_key=key)
            access.correction_access_end(request, request_obj)
            return redirect(status_url(request_obj))
    return _render_correction(request, request_obj, form, oce_formset, key, status=400)


@require_GET
@access.with_status_access()
def correction_challenge_download(
    request: HttpRequest, request_obj: RegistrationRequest
) -> HttpResponse:
    """The correction's "Descargar reto": the request's current challenge."""
    if not request_obj.is_correctable:
        raise Http404("Reto no encontrado")
    return challenge_file_response(services.possession_challenge_for_request(request=request_obj))


def _correction_key(request: HttpRequest, request_obj: RegistrationRequest) -> str:
    """Where this browser keeps the files of this correction, apart from a new form's files."""
    raw = f"{session_key(request)}:corregir:{request_obj.pk}"
    return hashlib.sha256(raw.encode()).hexdigest()[:40]


def _kind_fields(request_obj: RegistrationRequest) -> frozenset[str]:
    return frozenset(name for name, _ in declaration_for(request_obj.kind).snapshot_fields)


def _correction_initial(request_obj: RegistrationRequest) -> dict[str, Any]:
    initial: dict[str, Any] = {
        name: field_value(request_obj, name)
        for name in CorrectionForm.COMPANY_FIELDS + CorrectionForm.PERSON_FIELDS
        if name in _kind_fields(request_obj)
    }
    if "telefono_empresa" in initial:
        initial["telefono_empresa"] = validators.format_national(initial["telefono_empresa"])
    initial["email2"] = request_obj.email
    return initial


CORRECTION_OCE_EXTRA = 2


def _correction_oce_rows(request_obj: RegistrationRequest) -> dict[str, str]:
    """The request's OCE table as the formset's data: every row editable, plus empty rows."""
    rows = list(request_obj.oces.all())
    data = {
        "oce-TOTAL_FORMS": str(len(rows) + CORRECTION_OCE_EXTRA),
        "oce-INITIAL_FORMS": "0",
        "oce-MIN_NUM_FORMS": "0",
        "oce-MAX_NUM_FORMS": "50",
    }
    for i, row in enumerate(rows):
        data.update(
            {
                f"oce-{i}-oce_type": str(row.oce_type_id),
                f"oce-{i}-code": row.code,
                f"oce-{i}-start_month": str(row.start_month),
                f"oce-{i}-start_year": str(row.start_year),
                f"oce-{i}-end_date": row.end_date.strftime("%d/%m/%Y"),
            }
        )
    for i in range(len(rows), len(rows) + CORRECTION_OCE_EXTRA):
        data[f"oce-{i}-end_date"] = "31/12/9999"
    return data


def _correction_signature(
    request_obj: RegistrationRequest,
    form: CorrectionForm,
    key: str,
    staged: list[Any],
    file_choices: list[tuple[str, str]],
) -> bytes:
    """The kept signature of the request's challenge, checked against the certificates it goes
    with (the new ones, else the ones kept); required with a new certificate."""
    kept_signature = selectors.staged_signature(session_key=key)
    if kept_signature is None:
        if staged and settings.ECUAPASS_REQUIRE_POSSESSION:
            form.add_error(
                "firma_reto",
                "Con un certificado nuevo, firme el reto con él y adjunte la firma (.p7s).",
            )
        return b""
    removed = set(form.cleaned_data.get("remove_files") or ())
    kept_files = [
        content
        for (pk, _), content in zip(
            file_choices, selectors.certificate_file_contents(request=request_obj), strict=True
        )
        if pk not in removed
    ]
    signature = bytes(kept_signature.content)
    challenge = services.possession_challenge_for_request(request=request_obj)
    problem = services.possession_problem(
        signature=signature,
        challenge=challenge.text,
        certificate_files=[bytes(s.content) for s in staged] or kept_files,
    )
    if problem == MESSAGE_WRONG_CONTENT:
        services.staged_signature_remove(session_key=key)
        form.add_error("firma_reto", SIGNATURE_RETIRED)
        return b""
    if problem:
        form.add_error(
            "firma_reto", f"{problem} Firme el reto que se muestra y adjunte la firma nueva."
        )
        return b""
    return signature


def _render_correction(
    request: HttpRequest,
    request_obj: RegistrationRequest,
    form: CorrectionForm,
    oce_formset: Any,
    key: str,
    status: int = 200,
) -> HttpResponse:
    files_open = form.files_open
    observed = request_obj.observed_items if request_obj.status == RequestStatus.OBSERVED else []
    declaration = declaration_for(request_obj.kind)
    return render(
        request,
        "registration/correct.html",
        {
            "req": request_obj,
            "form": form,
            "oce_formset": oce_formset,
            "kind_oces": declaration.oces,
            "kind_appointment": declaration.appointment,
            "organisation_legend": "Información de la entidad"
            if declaration.organisation == "entidad"
            else "Información de empresa",
            "appointment": selectors.request_appointment(request=request_obj)
            if declaration.appointment
            else None,
            "new_appointment": selectors.staged_appointment(session_key=key)
            if form.appointment_open
            else None,
            "appointment_max_kb": settings.ECUAPASS_APPOINTMENT_MAX_BYTES // 1024,
            "observed": [
                services.correction_item_label(str(item), request_obj.kind) for item in observed
            ],
            "reasons": selectors.request_verification_reasons(request=request_obj),
            "staged": selectors.staged_certificates(session_key=key) if files_open else [],
            "signature": selectors.staged_signature(session_key=key) if files_open else None,
            "challenge": services.possession_challenge_for_request(request=request_obj)
            if files_open
            else None,
            "openssl_command": openssl_command(),
            "challenge_filename": CHALLENGE_FILENAME,
            "possession_required": settings.ECUAPASS_REQUIRE_POSSESSION,
            "max_kb": settings.CERTIFICATE_MAX_BYTES // 1024,
            "max_total_kb": settings.CERTIFICATE_MAX_TOTAL_BYTES // 1024,
        },
        status=status,
    )


def _access_url(request_obj: RegistrationRequest) -> str:
    return reverse(
        "registration:correct_access", kwargs={"tracking_number": request_obj.tracking_number}
    )


@never_cache
@require_http_methods(["GET", "POST"])
@access.with_status_access()
def correction_access(request: HttpRequest, request_obj: RegistrationRequest) -> HttpResponse:
    """Before the correction page: a code sent to the request's current email opens it.

    Whoever merely holds the status link (or the tracking number and cédula) can
    follow the request but not change it, nor move its email elsewhere.
    """
    if not request_obj.is_correctable:
        return redirect(status_url(request_obj))
    if access.has_correction_access(request, request_obj):
        return redirect("registration:correct", tracking_number=request_obj.tracking_number)
    form = EmailCodeForm()
    message, status = "", 200
    if request.method == "POST" and request.POST.get("accion") == "enviar":
        if rate_limited(
            request,
            scope="reenvio-correccion",
            per_minute=settings.ECUAPASS_CODE_RESENDS_PER_MINUTE,
        ):
            message, status = (
                "Ya le enviamos un código hace poco. Espere un minuto antes de pedir otro.",
                429,
            )
        else:
            try:
                services.correction_code_send(request=request_obj)
            except services.TransitionNotAllowed as exc:
                message, status = str(exc), 429
            else:
                messages.success(
                    request,
                    f"Le enviamos un código a {services.mask_email(request_obj.email)}. "
                    "Los códigos anteriores ya no sirven.",
                )
                return redirect(_access_url(request_obj))
    elif request.method == "POST":
        form = EmailCodeForm(request.POST)
        if rate_limited(
            request,
            scope="codigo-correccion",
            per_minute=settings.ECUAPASS_CODE_TRIES_PER_MINUTE,
        ):
            message, status = TOO_MANY_TRIES, 429
        elif not form.is_valid():
            status = 400
        else:
            outcome = services.correction_code_check(
                request=request_obj, code=form.cleaned_data["codigo"]
            )
            if outcome is services.CodeCheck.OK:
                access.correction_access_grant(request, request_obj)
                return redirect("registration:correct", tracking_number=request_obj.tracking_number)
            message, status = services.CHECK_MESSAGES[outcome], 400
    return render(
        request,
        "registration/correct_access.html",
        {
            "req": request_obj,
            "masked_email": services.mask_email(request_obj.email),
            "code_form": form,
            "code_message": message,
            "minutes": settings.ECUAPASS_CODE_TTL_MINUTES,
        },
        status=status,
    )
