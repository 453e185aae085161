"""Every version of a request the applicant sent: the first submission and each correction."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db.models import Max

from registration.models import RegistrationRequest, RequestVersion

# What a version keeps of the form, with the seed's labels, in the form's order.
# Secrets (password, security answers) are never kept; the questions are.
SNAPSHOT_FIELDS: tuple[tuple[str, str], ...] = (
    ("ruc", "RUC empresa"),
    ("razon_social", "Razón Social"),
    ("direccion_empresa", "Dirección de empresa"),
    ("telefono_empresa", "Teléfono empresa"),
    ("id_usuario", "ID. usuario"),
    ("doc_type", "Tipo de documento"),
    ("cedula", "Doc. Identificación"),
    ("nombre_usuario", "Nombre Usuario"),
    ("question1", "Preguntas de Clave1"),
    ("question2", "Preguntas de Clave2"),
    ("question3", "Preguntas de Clave3"),
    ("province", "Provincia"),
    ("canton", "Ciudad"),
    ("direccion", "Dirección"),
    ("telefono1", "Teléfono1"),
    ("telefono2", "Teléfono2"),
    ("operadora", "Operadora"),
    ("celular", "Celular"),
    ("fax", "Fax"),
    ("email", "Correo Electrónico"),
    ("posicion", "Posición"),
    ("senae_email", "SENAE Correo Electrónico"),
    ("recibir_sms", "Recibir mensaje SMS"),
    ("firma_reto", "Firma del reto (SHA-256)"),
)
FIELD_LABELS = dict(SNAPSHOT_FIELDS)


def request_snapshot(request: RegistrationRequest) -> dict[str, Any]:
    """What the applicant has sent, as stored now: fields, OCE rows, certificate files.

    Related names are kept as text (what the applicant chose), so a version
    reads the same after a catalogue changes.
    """
    row = RegistrationRequest.objects.select_related(
        "province", "canton", "operadora", "question1", "question2", "question3"
    ).get(pk=request.pk)
    signature = bytes(row.possession_signature or b"")
    data: dict[str, Any] = {
        "ruc": row.ruc,
        "razon_social": row.razon_social,
        "direccion_empresa": row.direccion_empresa,
        "telefono_empresa": row.telefono_empresa,
        "id_usuario": row.id_usuario,
        "doc_type": row.doc_type,
        "cedula": row.cedula,
        "nombre_usuario": row.nombre_usuario,
        "question1": str(row.question1),
        "question2": str(row.question2),
        "question3": str(row.question3),
        "province": str(row.province),
        "canton": str(row.canton),
        "direccion": row.direccion,
        "telefono1": row.telefono1,
        "telefono2": row.telefono2,
        "operadora": str(row.operadora) if row.operadora else "",
        "celular": row.celular,
        "fax": row.fax,
        "email": row.email,
        "posicion": row.posicion,
        "senae_email": row.senae_email,
        "recibir_sms": "Recibir" if row.recibir_sms else "No recibir",
        "firma_reto": hashlib.sha256(signature).hexdigest() if signature else "",
    }
    data["oces"] = [
        {
            "code": oce.code,
            "oce_type": oce.oce_type.name,
            "oce_type_id": oce.oce_type_id,
            "start_month": oce.start_month,
            "start_year": oce.start_year,
            "end_date": oce.end_date.isoformat(),
        }
        for oce in row.oces.select_related("oce_type").order_by("id")
    ]
    data["certificados"] = [
        {"original_name": name, "sha256": sha256, "size": size}
        for name, sha256, size in row.certificates.order_by("id").values_list(
            "original_name", "sha256", "size"
        )
    ]
    return data


def request_version_record(
    *, request: RegistrationRequest, answering: dict[str, Any] | None = None
) -> RequestVersion:
    """Append what the applicant sent as the request's next version; versions are never rewritten.

    `answering` is what a correction answers (the observation or the failed
    verification), kept with it so the reviewer reads both together. Called
    with the request locked (or just created), so the next number is this
    caller's; the (request, number) constraint backs that up.
    """
    data = request_snapshot(request)
    if answering:
        data["answering"] = answering
    last = RequestVersion.objects.filter(request_id=request.pk).aggregate(n=Max("number"))["n"]
    return RequestVersion.objects.create(request_id=request.pk, number=(last or 0) + 1, data=data)
