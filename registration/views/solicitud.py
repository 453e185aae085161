"""Pasos 3–5: the Representante form, from the first page to Registrar."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from registration import selectors, services
from registration.certificates.possession import (
    CHALLENGE_FILENAME,
    MESSAGE_WRONG_CONTENT,
    openssl_command,
)
from registration.forms import (
    EmpleadoForm,
    EntidadForm,
    GeneralForm,
    OceFormSet,
    RepresentanteEntidadForm,
    RepresentanteForm,
)
from registration.models import PossessionChallenge, RegistrationRequest, RequestKind
from registration.ratelimit import client_address
from registration.views import access
from registration.views.lookups import (
    employer_lookup_answer,
    registry_answer,
    remove_ticked_staged,
    session_key,
    stage_appointment,
    stage_uploads,
    staged_files_payload,
)
from registration.views.status import status_url
from workflow import services as process_services


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


def submission_data(cls: type[services.PersonData], cleaned: dict[str, Any], **extra: Any) -> Any:
    """The service's data for a valid form: each field of ``cls`` from the form's value of
    the same name (``<name>_id`` from the chosen row of ``<name>``), ``extra`` as given."""
    values: dict[str, Any] = {}
    for item in dataclasses.fields(cls):
        name = item.name
        if name in extra:
            continue
        if name.endswith("_id") and name[:-3] in cleaned:
            chosen = cleaned[name[:-3]]
            values[name] = chosen.pk if chosen is not None else None
        elif name in cleaned:
            values[name] = cleaned[name]
    return cls(**values, **extra)


def _representante_data(form: Any, oce_formset: Any, key: str) -> services.PersonData:
    data: services.RepresentanteData = submission_data(
        services.RepresentanteData,
        form.cleaned_data,
        ruc_warnings=form.ruc_warnings,
        oces=oce_entries(oce_formset),
    )
    return data


def _empleado_data(form: Any, oce_formset: Any, key: str) -> services.PersonData:
    data: services.EmpleadoData = submission_data(services.EmpleadoData, form.cleaned_data)
    return data


def _entidad_data(form: Any, oce_formset: Any, key: str) -> services.PersonData:
    data: services.EntidadData = submission_data(services.EntidadData, form.cleaned_data)
    return data


def _representante_entidad_data(form: Any, oce_formset: Any, key: str) -> services.PersonData:
    staged = selectors.staged_appointment(session_key=key)
    assert staged is not None  # the form refused a submission without one
    data: services.RepresentanteEntidadData = submission_data(
        services.RepresentanteEntidadData,
        form.cleaned_data,
        ruc_warnings=form.ruc_warnings,
        appointment=services.UploadedCertificate(staged.name, bytes(staged.content)),
    )
    return data


def _registry_consultar(values: dict[str, str], organisation: str) -> tuple[dict[str, str], str]:
    """ "Consultar" for an organisation's representative: the registry fills its block."""
    found = registry_answer(values.get("ruc", ""), organisation)
    if found.get("found"):
        values.update(
            ruc=str(found["ruc"]),
            razon_social=str(found["razon_social"]),
            direccion_empresa=str(found["direccion"]),
            telefono_empresa=str(found["telefono"]),
        )
    return values, str(found["message"])


def _company_consultar(values: dict[str, str]) -> tuple[dict[str, str], str]:
    """ "Consultar" for a Representante: the company registry."""
    return _registry_consultar(values, "empresa")


def _entity_registry_consultar(values: dict[str, str]) -> tuple[dict[str, str], str]:
    """ "Consultar" for a Representante de la entidad: the registry, for a public entity's RUC."""
    return _registry_consultar(values, "entidad")


def _employer_consultar(values: dict[str, str]) -> tuple[dict[str, str], str]:
    """ "Consultar" for an employee: the razón social, from our active Representantes only."""
    return _member_consultar(values, RequestKind.EMPLEADO)


def _entity_consultar(values: dict[str, str]) -> tuple[dict[str, str], str]:
    """ "Consultar" for an entity official: the entity's name, from its active representatives."""
    return _member_consultar(values, RequestKind.ENTIDAD)


def _member_consultar(values: dict[str, str], kind: str) -> tuple[dict[str, str], str]:
    found = employer_lookup_answer(values.get("ruc", ""), kind)
    if found.get("found"):
        values.update(ruc=str(found["ruc"]), razon_social=str(found["razon_social"]))
    return values, str(found["message"])


@dataclasses.dataclass(frozen=True)
class CertificatePage:
    """A kind whose form carries a certificate and a signed challenge (Pasos 3–5)."""

    form_class: type[Any]
    kind: str
    template: str
    data: Callable[[Any, Any, str], services.PersonData]
    consultar: Callable[[dict[str, str]], tuple[dict[str, str], str]]
    oces: bool
    heading: str  # the seed's title ("Solicitud del uso(Representante)")
    lookup_url: str  # what "Consultar" asks (a URL name)
    organisation_legend: str
    person_legend: str
    appointment: bool = False  # a nombramiento or delegation PDF, kept like the files


REPRESENTANTE_PAGE = CertificatePage(
    form_class=RepresentanteForm,
    kind=RequestKind.REPRESENTANTE,
    template="registration/representante_form.html",
    data=_representante_data,
    consultar=_company_consultar,
    oces=True,
    heading="Solicitud del uso(Representante)",
    lookup_url="registration:company_lookup",
    organisation_legend="Información de empresa",
    person_legend="Información de representante",
)
EMPLEADO_PAGE = CertificatePage(
    form_class=EmpleadoForm,
    kind=RequestKind.EMPLEADO,
    template="registration/empleado_form.html",
    data=_empleado_data,
    consultar=_employer_consultar,
    oces=False,
    heading="Solicitud del uso(Empleado)",
    lookup_url="registration:employer_lookup",
    organisation_legend="Información de empresa",
    person_legend="Información de empleado",
)
REPRESENTANTE_ENTIDAD_PAGE = CertificatePage(
    form_class=RepresentanteEntidadForm,
    kind=RequestKind.REPRESENTANTE_ENTIDAD,
    template="registration/representante_entidad_form.html",
    data=_representante_entidad_data,
    consultar=_entity_registry_consultar,
    oces=False,
    heading="Solicitud del uso(Representante de la entidad)",
    lookup_url="registration:entity_registry_lookup",
    organisation_legend="Información de la entidad",
    person_legend="Información del representante de la entidad",
    appointment=True,
)
ENTIDAD_PAGE = CertificatePage(
    form_class=EntidadForm,
    kind=RequestKind.ENTIDAD,
    template="registration/entidad_form.html",
    data=_entidad_data,
    consultar=_entity_consultar,
    oces=False,
    heading="Solicitud del uso(Entidad)",
    lookup_url="registration:entity_lookup",
    organisation_legend="Información de la entidad",
    person_legend="Información del funcionario",
)


@require_http_methods(["GET", "POST"])
def representante_new(request: HttpRequest) -> HttpResponse:
    return certificate_page(request, REPRESENTANTE_PAGE)


@require_http_methods(["GET", "POST"])
def empleado_new(request: HttpRequest) -> HttpResponse:
    return certificate_page(request, EMPLEADO_PAGE)


@require_http_methods(["GET", "POST"])
def representante_entidad_new(request: HttpRequest) -> HttpResponse:
    return certificate_page(request, REPRESENTANTE_ENTIDAD_PAGE)


@require_http_methods(["GET", "POST"])
def entidad_new(request: HttpRequest) -> HttpResponse:
    return certificate_page(request, ENTIDAD_PAGE)


def certificate_page(request: HttpRequest, page: CertificatePage) -> HttpResponse:
    """Pasos 3–5. A failed submit keeps every value and every accepted file."""
    if request.method == "GET":
        form = page.form_class(initial={"submission_token": uuid.uuid4(), "recibir_sms": "1"})
        # Looking writes no session row: one is made by the first upload or post. A new
        # form is a new challenge: a signature kept from before signs a retired one.
        key = request.session.session_key or ""
        notice = (
            SIGNATURE_RETIRED if key and services.staged_signature_remove(session_key=key) else ""
        )
        oces = OceFormSet(prefix="oce") if page.oces else None
        return _render_form(request, page, form, oces, key, signature_notice=notice)

    key = session_key(request)

    # A second click on Registrar (or a resend) finds the request the first one made; the
    # token alone (it shows in the form and the challenge's URL) opens nothing elsewhere.
    existing = selectors.request_by_submission_token(token=request.POST.get("submission_token", ""))
    if existing is not None:
        return _already_submitted(request, existing)

    # Files first: whatever else is wrong, every acceptable file is kept.
    file_errors = remove_ticked_staged(request, key)
    file_errors += stage_uploads(request, key)
    appointment = _appointment_kwargs(request, key) if page.appointment else {}
    oce_formset = OceFormSet(request.POST, prefix="oce") if page.oces else None
    if request.POST.get("accion") == "consultar":
        values, message = page.consultar(request.POST.dict())
        form = page.form_class(initial=values, file_errors=file_errors, **appointment)
        return _render_form(request, page, form, oce_formset, key, ruc_message=message)

    staged = selectors.staged_certificate_contents(session_key=key)
    if not staged and not file_errors and request.POST.get("staged_count", "0") not in ("", "0"):
        file_errors.append(
            "Los archivos que cargó ya no están disponibles porque la sesión expiró. "
            "Vuelva a cargarlos con «Buscar» y «Cargar»."
        )
    form = page.form_class(
        request.POST, staged_count=len(staged), file_errors=file_errors, **appointment
    )
    valid = form.is_valid()
    valid = (oce_formset is None or oce_formset.is_valid()) and valid
    # Say now, in one round, what would stop Registrar (request_submit checks again):
    # the values already taken and the signature do not wait for the other fields.
    show_taken(form, kind=page.kind)
    d = form.cleaned_data
    challenge, signature = None, None
    if d.get("submission_token"):
        challenge, signature = _possession(request, key, form, staged)
    if valid and not form.errors:
        response = registrar(
            request,
            form,
            data=page.data(form, oce_formset, key),
            files=[services.UploadedCertificate(s.name, bytes(s.content)) for s in staged],
            possession_challenge=challenge.text if challenge and signature else "",
            possession_signature=signature or b"",
            when_created=lambda: services.staged_certificates_clear(session_key=key),
        )
        if response is not None:
            return response
    return _render_form(request, page, form, oce_formset, key, status=400)


def _appointment_kwargs(request: HttpRequest, key: str) -> dict[str, Any]:
    """Keep a newly uploaded appointment PDF; what the form needs to know of it."""
    errors = stage_appointment(request, key)
    kept = selectors.staged_appointment(session_key=key) is not None
    return {"appointment_kept": kept, "appointment_errors": errors}


def show_taken(form: Any, *, kind: str) -> None:
    """Put next to their fields the values another user or open request already holds."""
    d = form.cleaned_data
    # (A person's own account frees its ID. usuario: telling that needs the cédula.)
    names = ("id_usuario", "cedula", "email") if d.get("cedula") else ("email",)
    taken = {name: d[name] for name in names if d.get(name)}
    if taken:
        for field, message in services.availability_errors(**taken, kind=kind).items():
            form.add_error(field, message)


def registrar(
    request: HttpRequest,
    form: Any,
    *,
    data: services.PersonData,
    files: list[services.UploadedCertificate],
    when_created: Callable[[], None] | None = None,
    **submission: Any,
) -> HttpResponse | None:
    """Registrar for a valid form: the new request's status page, the first request of a
    repeated form, or None with the refusal shown on the form."""
    try:
        request_obj, created = process_services.request_submit(
            data=data,
            files=files,
            submission_token=form.cleaned_data["submission_token"],
            source_ip=client_address(request),
            submission_session=access.submission_session(request),
            **submission,
        )
    except services.SubmissionConflict as exc:
        show_conflict(form, exc)
        return None
    if not created:
        return _already_submitted(request, request_obj)
    if when_created is not None:
        when_created()
    access.status_access_grant(request, request_obj)
    return redirect(status_url(request_obj) + "?nueva=1")


def _already_submitted(request: HttpRequest, request_obj: RegistrationRequest) -> HttpResponse:
    """This browser's own earlier Registrar goes to its page; any other gets Consulta de estado."""
    if access.submitted_here(request, request_obj) or access.has_status_access(
        request, request_obj
    ):
        access.status_access_grant(request, request_obj)
        return redirect(status_url(request_obj) + "?nueva=1")
    return access.lookup_page(request, message=access.ALREADY_REGISTERED, status=409)


def _possession(
    request: HttpRequest, key: str, form: Any, staged: list[Any]
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
        services.staged_signature_remove(session_key=key)
        form.add_error("firma_reto", SIGNATURE_RETIRED)
        return challenge, None
    if not staged:
        return challenge, None  # nothing to check it against yet ("Adjunte el certificado")
    signature = bytes(staged_signature.content)
    problem = services.possession_problem(
        signature=signature,
        challenge=challenge.text,
        certificate_files=[bytes(s.content) for s in staged],
    )
    if problem == MESSAGE_WRONG_CONTENT:
        services.staged_signature_remove(session_key=key)
        form.add_error("firma_reto", SIGNATURE_RETIRED)
        return challenge, None
    if problem:
        form.add_error("firma_reto", problem)
        return challenge, None
    return challenge, signature


# A kept signature of another text: a retired challenge (a reopened form, an expired one).
SIGNATURE_RETIRED = (
    "La firma del reto que adjuntó no corresponde al reto vigente (es de un reto anterior, "
    "que ya no vale) y se descartó. Firme el reto que se muestra ahora y adjunte esa firma."
)


def show_conflict(form: Any, exc: services.SubmissionConflict) -> None:
    """The service's refusal, next to the fields it names."""
    for field, message in exc.errors.items():
        form.add_error(field if field in form.fields else None, message)


def _render_form(
    request: HttpRequest,
    page: CertificatePage,
    form: Any,
    oce_formset: Any,
    key: str,
    status: int = 200,
    ruc_message: str = "",
    signature_notice: str = "",
) -> HttpResponse:
    payload = staged_files_payload(key)
    token = form["submission_token"].value()
    try:
        challenge = services.possession_challenge_for_form(form_token=uuid.UUID(str(token)))
    except ValueError:
        challenge = None
    signature = selectors.staged_signature(session_key=key)
    appointment = selectors.staged_appointment(session_key=key) if page.appointment else None
    response = render(
        request,
        page.template,
        {
            "form": form,
            "kind": page.kind,
            "heading": page.heading,
            "lookup_url": page.lookup_url,
            "organisation_legend": page.organisation_legend,
            "person_legend": page.person_legend,
            "oce_formset": oce_formset,
            "staged": payload["files"],
            "staged_total_kb": payload["total_kb"],
            "file_errors": form.file_errors,
            "ruc_message": ruc_message,
            "challenge": challenge,
            "signature": signature,
            "signature_notice": signature_notice,
            "appointment": appointment,
            "appointment_max_kb": settings.ECUAPASS_APPOINTMENT_MAX_BYTES // 1024,
            "openssl_command": openssl_command(),
            "challenge_filename": CHALLENGE_FILENAME,
            "possession_required": settings.ECUAPASS_REQUIRE_POSSESSION,
            "max_kb": settings.CERTIFICATE_MAX_BYTES // 1024,
            "max_total_kb": settings.CERTIFICATE_MAX_TOTAL_BYTES // 1024,
        },
        status=status,
    )
    # The page may carry the typed password back after an error: never cache it.
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def general_new(request: HttpRequest) -> HttpResponse:
    """Pasos 3–5 of the General kind: the person's block alone; nothing typed is lost on error."""
    if request.method == "GET":
        form = GeneralForm(
            initial={"submission_token": uuid.uuid4(), "recibir_sms": "1", "doc_country": "EC"}
        )
        return _render_general(request, form)
    existing = selectors.request_by_submission_token(token=request.POST.get("submission_token", ""))
    if existing is not None:
        return _already_submitted(request, existing)
    form = GeneralForm(request.POST)
    valid = form.is_valid()
    show_taken(form, kind=RequestKind.GENERAL)
    if valid and not form.errors:
        response = registrar(
            request, form, data=submission_data(services.GeneralData, form.cleaned_data), files=[]
        )
        if response is not None:
            return response
    return _render_general(request, form, status=400)


def _render_general(request: HttpRequest, form: GeneralForm, status: int = 200) -> HttpResponse:
    response = render(
        request,
        "registration/general_form.html",
        {"form": form, "oce_formset": None},
        status=status,
    )
    # The page may carry the typed password back after an error: never cache it.
    response["Cache-Control"] = "no-store"
    return response
