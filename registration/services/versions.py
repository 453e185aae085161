"""Every version of a request the applicant sent: the first submission and each correction."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db.models import Max

from registration.kinds import FIELD_LABELS, declaration_for, field_value
from registration.models import AppointmentFile, RegistrationRequest, RequestVersion

# What a version keeps: each kind's declaration says (registration.kinds), in its form's order.
__all__ = ["FIELD_LABELS", "request_snapshot", "request_version_record"]


# Kept as the applicant chose them: a catalogue's text, not its key.
_RELATED = frozenset({"question1", "question2", "question3", "province", "canton", "operadora"})


def _shown(row: RegistrationRequest, key: str) -> str:
    if key in _RELATED:
        related = getattr(row, key)
        return str(related) if related is not None else ""
    if key == "recibir_sms":
        return "Recibir" if row.recibir_sms else "No recibir"
    if key == "firma_reto":
        signature = bytes(row.possession_signature or b"")
        return hashlib.sha256(signature).hexdigest() if signature else ""
    if key == "nombramiento":
        appointment = AppointmentFile.objects.filter(request=row).first()
        return f"{appointment.original_name} {appointment.sha256}" if appointment else ""
    if key == "procedures":
        return ", ".join(field_value(row, key))
    return str(field_value(row, key))


def request_snapshot(request: RegistrationRequest) -> dict[str, Any]:
    """What the applicant has sent, as stored now: fields, OCE rows, certificate files.

    Related names are kept as text (what the applicant chose), so a version
    reads the same after a catalogue changes.
    """
    row = RegistrationRequest.objects.select_related(
        "province", "canton", "operadora", "question1", "question2", "question3"
    ).get(pk=request.pk)
    data: dict[str, Any] = {
        key: _shown(row, key) for key, _ in declaration_for(row.kind).snapshot_fields
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
