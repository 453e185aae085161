"""Pasos 3–5: the Representante form, from the first page to Registrar."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from registration import selectors, services, validators
from registration.certificates.possession import openssl_command
from registration.company_registry import company_registry
from registration.forms import (
    OceFormSet,
    RepresentanteForm,
)
from registration.models import PossessionChallenge
from registration.ratelimit import client_address
from registration.views.lookups import (
    remove_ticked_staged,
    session_key,
    stage_uploads,
    staged_files_payload,
)
from registration.views.status import status_url


def oce_entries(oce_formset: Any) -> tuple[services.OceEntry, ...]:
    """The filled, not deleted rows of a valid OCE formset."""
    return tuple(
        services.OceEntry(
            oce_type_id=f.cleaned_data["oce_type"].pk,
            code=f.cleaned_data["code"],
            start_month=f.cleaned_data["start_month"],
            start_year=f.cleaned_data["start_year"],
            end_date=f.cleaned_data["end_date"],
        )
        for f in oce_formset.forms
        if f.has_changed() and not f.cleaned_data.get("DELETE")
    )


def _submission_data(form: RepresentanteForm, oce_formset: Any) -> services.RepresentanteData:
    d = form.cleaned_data
    oces = oce_entries(oce_formset)
    return services.RepresentanteData(
        ruc=d["ruc"],
        razon_social=d["razon_social"],
        direccion_empresa=d["direccion_empresa"],
        telefono_empresa=d["telefono_empresa"],
        id_usuario=d["id_usuario"],
        cedula=d["cedula"],
        nombre_usuario=d["nombre_usuario"],
        password=d["password"],
        question1_id=d["question1"].pk,
        answer1=d["answer1"],
        question2_id=d["question2"].pk,
        answer2=d["answer2"],
        question3_id=d["question3"].pk,
        answer3=d["answer3"],
        province_id=d["province"].pk,
        canton_id=d["canton"].pk,
        direccion=d["direccion"],
        telefono1=d["telefono1"],
        telefono2=d["telefono2"],
        celular=d["celular"],
        operadora_id=d["operadora"].pk if d["operadora"] else None,
        fax=d["fax"],
        email=d["email"],
        senae_email=d["senae_email"],
        recibir_sms=d["recibir_sms"],
        ruc_warnings=form.ruc_warnings,
        oces=oces,
    )


@require_http_methods(["GET", "POST"])
def representante_new(request: HttpRequest) -> HttpResponse:
    """Pasos 3–5. A failed submit keeps every value and every accepted file."""
    key = session_key(request)
    if request.method == "GET":
        form = RepresentanteForm(initial={"submission_token": uuid.uuid4(), "recibir_sms": "1"})
        return _render_form(request, form, OceFormSet(prefix="oce"), key)

    # A second click on Registrar (or a resend) finds the request the first one made.
    existing = selectors.request_by_submission_token(token=request.POST.get("submission_token", ""))
    if existing is not None:
        return redirect(status_url(existing) + "?nueva=1")

    # Files first: whatever else is wrong, every acceptable file is kept.
    file_errors = remove_ticked_staged(request, key)
    file_errors += stage_uploads(request, key)
    oce_formset = OceFormSet(request.POST, prefix="oce")
    if request.POST.get("accion") == "consultar":
        return _consultar(request, key, oce_formset, file_errors)

    staged = selectors.staged_certificate_contents(session_key=key)
    if not staged and not file_errors and request.POST.get("staged_count", "0") not in ("", "0"):
        file_errors.append(
            "Los archivos que cargó ya no están disponibles porque la sesión expiró. "
            "Vuelva a cargarlos con «Buscar» y «Cargar»."
        )
    form = RepresentanteForm(request.POST, staged_count=len(staged), file_errors=file_errors)
    valid = form.is_valid()
    valid = oce_formset.is_valid() and valid
    challenge, signature = None, None
    if valid:
        # Say now what would stop Registrar, all at once; request_submit checks again.
        d = form.cleaned_data
        for field, message in services.availability_errors(
            id_usuario=d["id_usuario"], cedula=d["cedula"], email=d["email"]
        ).items():
            form.add_error(field, message)
        challenge, signature = _possession(request, key, form, staged)
    if valid and not form.errors:
        try:
            request_obj = services.request_submit(
                data=_submission_data(form, oce_formset),
                files=[services.UploadedCertificate(s.name, bytes(s.content)) for s in staged],
                submission_token=form.cleaned_data["submission_token"],
                possession_challenge=challenge.text if challenge and signature else "",
                possession_signature=signature or b"",
                source_ip=client_address(request),
            )
        except services.SubmissionConflict as exc:
            show_conflict(form, exc)
        else:
            services.staged_certificates_clear(session_key=key)
            return redirect(status_url(request_obj) + "?nueva=1")
    return _render_form(request, form, oce_formset, key, status=400)


def _possession(
    request: HttpRequest, key: str, form: RepresentanteForm, staged: list[Any]
) -> tuple[PossessionChallenge | None, bytes | None]:
    """The signed challenge, checked now against the kept certificates (the job checks again)."""
    challenge = services.possession_challenge_for_form(
        form_token=form.cleaned_data["submission_token"]
    )
    staged_signature = selectors.staged_signature(session_key=key)
    if staged_signature is None:
        if settings.ECUAPASS_REQUIRE_POSSESSION:
            form.add_error(
                "firma_reto", "Adjunte la firma del reto (.p7s) hecha con su certificado."
            )
        return challenge, None
    if request.POST.get("reto_nonce") != challenge.nonce:
        form.add_error(
            "firma_reto",
            "El reto que firmó expiró. Firme el reto nuevo que se muestra y adjunte esa firma.",
        )
        return challenge, None
    signature = bytes(staged_signature.content)
    problem = services.possession_problem(
        signature=signature,
        challenge=challenge.text,
        certificate_files=[bytes(s.content) for s in staged],
    )
    if problem:
        form.add_error("firma_reto", problem)
        return challenge, None
    return challenge, signature


def show_conflict(form: Any, exc: services.SubmissionConflict) -> None:
    """The service's refusal, next to the fields it names."""
    for field, message in exc.errors.items():
        form.add_error(field if field in form.fields else None, message)


def _consultar(
    request: HttpRequest, key: str, oce_formset: Any, file_errors: list[str]
) -> HttpResponse:
    """ "Consultar" without JavaScript: fill the company from the registry, keep the rest."""
    values = request.POST.dict()
    message = ""
    try:
        ruc = validators.validate_ruc(values.get("ruc", "")).number
    except ValidationError as exc:
        message = " ".join(exc.messages)
    else:
        record = company_registry().lookup(ruc)
        if record is None:
            message = (
                "El RUC no consta en el registro de empresas. Ingrese la Razón Social, "
                "la Dirección y el Teléfono de la empresa."
            )
        else:
            values.update(
                ruc=ruc,
                razon_social=record.razon_social,
                direccion_empresa=record.direccion,
                telefono_empresa=validators.format_national(record.telefono),
            )
            message = f"Datos tomados del registro de empresas ({record.source})."
    form = RepresentanteForm(initial=values, file_errors=file_errors)
    return _render_form(request, form, oce_formset, key, ruc_message=message)


def _render_form(
    request: HttpRequest,
    form: RepresentanteForm,
    oce_formset: Any,
    key: str,
    status: int = 200,
    ruc_message: str = "",
) -> HttpResponse:
    payload = staged_files_payload(key)
    token = form["submission_token"].value()
    try:
        challenge = services.possession_challenge_for_form(form_token=uuid.UUID(str(token)))
    except ValueError:
        challenge = None
    signature = selectors.staged_signature(session_key=key)
    response = render(
        request,
        "registration/representante_form.html",
        {
            "form": form,
            "oce_formset": oce_formset,
            "staged": payload["files"],
            "staged_total_kb": payload["total_kb"],
            "file_errors": form.file_errors,
            "ruc_message": ruc_message,
            "challenge": challenge,
            "signature": signature,
            "openssl_command": openssl_command(),
            "possession_required": settings.ECUAPASS_REQUIRE_POSSESSION,
            "max_kb": settings.CERTIFICATE_MAX_BYTES // 1024,
            "max_total_kb": settings.CERTIFICATE_MAX_TOTAL_BYTES // 1024,
        },
        status=status,
    )
    # The page may carry the typed password back after an error: never cache it.
    response["Cache-Control"] = "no-store"
    return response
