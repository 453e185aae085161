"""What the form asks while it is being filled: Consultar, availability, files."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from registration import selectors, services, validators
from registration.appointments import appointment_check
from registration.certificates.possession import CHALLENGE_FILENAME
from registration.company_registry import company_registry
from registration.forms import (
    PUBLIC_RUC_REQUIRED,
    StagedDeleteForm,
    StagedRemovalForm,
    read_certificate_upload,
)
from registration.kinds import KINDS, declaration_for
from registration.models import ID_USUARIO_VALIDATOR, PossessionChallenge, RequestKind
from registration.ratelimit import TOO_MANY_LOOKUPS, client_address, rate_limited, window_count


def session_key(request: HttpRequest) -> str:
    """The applicant's browser session: it owns the files uploaded before Registrar."""
    if not request.session.session_key:
        request.session.save()
    key = request.session.session_key
    assert key is not None
    return key


# How the registry and its fields are named on each organisation's form.
REGISTRY_WORDS = {
    "empresa": (
        "registro de empresas",
        "Ingrese la Razón Social, la Dirección y el Teléfono de la empresa.",
    ),
    "entidad": (
        "registro de entidades",
        "Ingrese el Nombre, la Dirección y el Teléfono de la entidad.",
    ),
}


def registry_answer(raw_ruc: str, organisation: str = "empresa") -> dict[str, Any]:
    """ "Consultar" for an organisation's representative: what the registry knows of a RUC
    (a public entity's must have 6 as its third digit). A RUC warning is said, never a
    refusal (the certificate check settles it)."""
    try:
        check = validators.validate_ruc(raw_ruc)
    except ValidationError as exc:
        return {"found": False, "invalid": True, "message": " ".join(exc.messages)}
    if organisation == "entidad" and check.kind != "publica":
        return {"found": False, "invalid": True, "message": PUBLIC_RUC_REQUIRED}
    registry, missing = REGISTRY_WORDS[organisation]
    warnings = "".join(f" Aviso: {w}" for w in check.warnings)
    record = company_registry().lookup(check.number)
    if record is None:
        return {
            "found": False,
            "message": f"El RUC no consta en el {registry}. {missing}{warnings}",
        }
    return {
        "found": True,
        "ruc": check.number,
        "razon_social": record.razon_social,
        "direccion": record.direccion,
        "telefono": validators.format_national(record.telefono),
        "message": f"Datos tomados del {registry} ({record.source}).{warnings}",
    }


def _ruc_lookup(
    request: HttpRequest, answer_of: Callable[[str, str], dict[str, Any]], what: str
) -> JsonResponse:
    """A "Consultar" answer as JSON: ``answer_of(ruc, what)``, 400 for a malformed RUC."""
    if rate_limited(request, scope="ruc"):
        return JsonResponse({"message": TOO_MANY_LOOKUPS}, status=429)
    answer = answer_of(request.GET.get("ruc", ""), what)
    return JsonResponse(answer, status=400 if answer.pop("invalid", False) else 200)


@require_GET
def company_lookup(request: HttpRequest) -> JsonResponse:
    """ "Consultar" in the Representante form: what the company registry knows of a RUC."""
    return _ruc_lookup(request, registry_answer, "empresa")


@require_GET
def entity_registry_lookup(request: HttpRequest) -> JsonResponse:
    """ "Consultar" in the Representante de la entidad form: a public entity's RUC."""
    return _ruc_lookup(request, registry_answer, "entidad")


MEMBER_FOUND = {
    RequestKind.EMPLEADO: "Empresa registrada en ECUAPASS: su representante aprobará su solicitud.",
    RequestKind.ENTIDAD: "Entidad registrada en la VUE: su representante aprobará su solicitud.",
}


def employer_lookup_answer(raw_ruc: str, kind: str = RequestKind.EMPLEADO) -> dict[str, Any]:
    """What a member's "Consultar" (an employee's, an entity official's) says of a RUC: its
    name if the organisation has an active representative of the kind that approves
    ``kind``'s requests, never anything else about it."""
    try:
        ruc = validators.validate_ruc(raw_ruc).number
    except ValidationError as exc:
        return {"found": False, "invalid": True, "message": " ".join(exc.messages)}
    representative = declaration_for(kind).represented_by
    company = selectors.company_with_representative(ruc=ruc, kind=representative)
    if company is None:
        return {"found": False, "message": services.no_representative_message(kind, ruc)}
    return {
        "found": True,
        "ruc": ruc,
        "razon_social": company.razon_social,
        "message": MEMBER_FOUND[RequestKind(kind)],
    }


@require_GET
def employer_lookup(request: HttpRequest) -> JsonResponse:
    """ "Consultar" in the Empleado form (employer_lookup_answer)."""
    return _ruc_lookup(request, employer_lookup_answer, RequestKind.EMPLEADO)


@require_GET
def entity_lookup(request: HttpRequest) -> JsonResponse:
    """ "Consultar" in the Entidad form: the entity's name, if it has an active representative."""
    return _ruc_lookup(request, employer_lookup_answer, RequestKind.ENTIDAD)


AVAILABLE = {
    "id_usuario": "El ID. usuario está disponible.",
    "cedula": "El Doc. Identificación está disponible.",
    "email": "El Correo Electrónico está disponible.",
}


SUBJECT_ASKED_TOO_OFTEN = (
    "Este valor se consultó demasiadas veces en la última hora. Continúe con el formulario: "
    "al registrar la solicitud se comprueba de nuevo."
)


def _check_shape(field: str, value: str, *, kind: str) -> str:
    if field == "id_usuario":
        ID_USUARIO_VALIDATOR(value)
        return value
    if field == "cedula":
        # A General user may identify with a passport (letters and digits).
        if kind == RequestKind.GENERAL:
            return validators.validate_document(value)
        return validators.validate_cedula(value)
    validate_email(value)
    return value


@require_GET
def availability(request: HttpRequest) -> JsonResponse:
    """ "Comprobar disponibilidad" for ID. usuario, Doc. Identificación or Correo Electrónico."""
    field = request.GET.get("campo", "")
    if field not in AVAILABLE:
        raise Http404("Campo desconocido")
    # The one answer that says whether someone is registered (README, "Comprobar
    # disponibilidad"): bounded per client (a minute and an hour) and per value asked about.
    if rate_limited(request, scope="availability") or (
        window_count(scope="availability-ip", key=client_address(request), seconds=3600)
        > settings.ECUAPASS_AVAILABILITY_PER_IP_PER_HOUR
    ):
        return JsonResponse({"available": False, "message": TOO_MANY_LOOKUPS}, status=429)
    value = request.GET.get("valor", "").strip()
    kind = request.GET.get("tipo", RequestKind.REPRESENTANTE)
    if kind not in KINDS:
        kind = RequestKind.REPRESENTANTE
    if not value:
        return JsonResponse(
            {"available": False, "message": "Escriba un valor para comprobar."}, status=400
        )
    try:
        value = _check_shape(field, value, kind=kind)
    except ValidationError as exc:
        message = (
            " ".join(exc.messages) if field != "email" else "Escriba un correo electrónico válido."
        )
        return JsonResponse({"available": False, "message": message}, status=400)
    subject = f"{field}:{value.lower()}"
    if (
        window_count(scope="availability-subject", key=subject, seconds=3600)
        > settings.ECUAPASS_AVAILABILITY_PER_SUBJECT_PER_HOUR
    ):
        return JsonResponse({"available": False, "message": SUBJECT_ASKED_TOO_OFTEN}, status=429)
    errors = services.availability_errors(**{field: value}, kind=kind)
    if field in errors:
        return JsonResponse({"available": False, "message": errors[field]})
    return JsonResponse({"available": True, "message": AVAILABLE[field]})


def staged_files_payload(key: str, errors: list[str] | None = None) -> dict[str, object]:
    staged = selectors.staged_certificates(session_key=key)
    return {
        "files": [
            {
                "id": s.pk,
                "name": s.name,
                "size_kb": s.size_kb,
                "download_url": reverse("registration:staged_download", kwargs={"pk": s.pk}),
            }
            for s in staged
        ],
        "total_kb": f"{sum(s.size for s in staged) / 1024:.1f}",
        "errors": errors or [],
    }


def stage_uploads(request: HttpRequest, key: str) -> list[str]:
    """Keep every acceptable uploaded file for this session; return the messages for the rest."""
    errors: list[str] = []
    accepted: list[services.UploadedCertificate] = []
    total = sum(s.size for s in selectors.staged_certificates(session_key=key))
    for upload in request.FILES.getlist("certificados"):
        try:
            content = read_certificate_upload(upload)
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        if total + len(content) > settings.CERTIFICATE_MAX_TOTAL_BYTES:
            errors.append(
                f"«{upload.name}» no se agregó: el tamaño total de archivo superaría el máximo de "
                f"{settings.CERTIFICATE_MAX_TOTAL_BYTES / 1024:.0f} KB."
            )
            continue
        total += len(content)
        accepted.append(services.UploadedCertificate(upload.name or "certificado.cer", content))
    services.staged_certificates_add(session_key=key, files=accepted)
    signature = request.FILES.get("firma_reto")
    if signature is not None:
        content = signature.read(settings.CERTIFICATE_MAX_BYTES + 1)
        if not content or len(content) > settings.CERTIFICATE_MAX_BYTES:
            errors.append(
                f"«{signature.name}»: la firma del reto debe ser un archivo .p7s de hasta "
                f"{settings.CERTIFICATE_MAX_BYTES // 1024} KB."
            )
        else:
            services.staged_signature_replace(
                session_key=key,
                upload=services.UploadedCertificate(signature.name or "reto.p7s", content),
            )
    return errors


def stage_appointment(request: HttpRequest, key: str) -> list[str]:
    """Keep an uploaded appointment PDF for this session (replacing an earlier one), if it
    is acceptable; return the message if not (the kept one, if any, stays)."""
    upload = request.FILES.get("nombramiento")
    if upload is None:
        return []
    limit = settings.ECUAPASS_APPOINTMENT_MAX_BYTES
    content = upload.read(limit + 1)
    name = upload.name or "nombramiento.pdf"
    problem = appointment_check(name, content)
    if problem:
        return [problem]
    services.staged_file_replace(
        session_key=key,
        kind="nombramiento",
        upload=services.UploadedCertificate(name, content),
    )
    return []


@require_POST
def staged_upload(request: HttpRequest) -> JsonResponse:
    """ "Cargar": add the chosen files to the table before Registrar."""
    key = session_key(request)
    errors = stage_uploads(request, key)
    if not request.FILES.getlist("certificados"):
        errors.append("Elija un archivo con «Buscar» antes de «Cargar».")
    return JsonResponse(staged_files_payload(key, errors), status=400 if errors else 200)


@require_POST
def staged_delete(request: HttpRequest) -> JsonResponse:
    """ "Eliminar": drop the ticked files from the table."""
    key = session_key(request)
    form = StagedDeleteForm(request.POST)
    if not form.is_valid():
        return JsonResponse(
            staged_files_payload(key, [str(e) for e in form.errors["ids"]]), status=400
        )
    services.staged_certificates_remove(session_key=key, ids=form.cleaned_data["ids"])
    return JsonResponse(staged_files_payload(key))


def remove_ticked_staged(request: HttpRequest, key: str) -> list[str]:
    """Drop the files ticked "Quitar" in a whole-form POST; the message if the ids are bad."""
    form = StagedRemovalForm(request.POST)
    if not form.is_valid():
        return [str(e) for e in form.errors["remove_staged"]]
    services.staged_certificates_remove(session_key=key, ids=form.cleaned_data["remove_staged"])
    return []


@require_GET
def staged_download(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Descargar": only the files this browser session uploaded."""
    key = request.session.session_key
    staged = selectors.staged_certificate(session_key=key, pk=pk) if key else None
    if staged is None:
        raise Http404("Archivo no encontrado")
    response = HttpResponse(bytes(staged.content), content_type="application/pkix-cert")
    response["Content-Disposition"] = f'attachment; filename="{_safe_filename(staged.name)}"'
    return response


def _safe_filename(name: str) -> str:
    cleaned = "".join(c for c in name if c.isalnum() or c in "._- ")
    return cleaned or "certificado.cer"


@require_GET
def challenge_download(request: HttpRequest, token: uuid.UUID) -> HttpResponse:
    """The exact bytes to sign: "Descargar reto"."""
    challenge = PossessionChallenge.objects.filter(form_token=token).first()
    if challenge is None:
        raise Http404("Reto no encontrado")
    return challenge_file_response(challenge)


def challenge_file_response(challenge: PossessionChallenge) -> HttpResponse:
    """The challenge as the file the signing command on the page reads."""
    response = HttpResponse(challenge.text.encode(), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{CHALLENGE_FILENAME}"'
    return response
