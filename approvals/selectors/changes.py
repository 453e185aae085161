"""What the applicant changed: the latest version of a corrected request against the one before."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from registration import services as registration_services
from registration.kinds import declaration_for
from registration.models import RegistrationRequest, RequestStatus, RequestVersion


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class Answered:
    """What sent the request back to the applicant: an observation or a failed verification."""

    status: str
    text: str
    items: list[str]
    reasons: list[str]
    by: str
    at: datetime | None


@dataclass(frozen=True)
class RequestChanges:
    """The applicant's latest version against the one before it, for the reviewer."""

    number: int
    since: int
    fields: list[FieldChange]
    certificates_added: list[dict[str, Any]]
    certificates_removed: list[dict[str, Any]]
    oces_added: list[str]
    oces_removed: list[str]
    versions: list[RequestVersion]
    answered: Answered | None

    @property
    def unchanged(self) -> bool:
        return not (
            self.fields
            or self.certificates_added
            or self.certificates_removed
            or self.oces_added
            or self.oces_removed
        )


def _shown(key: str, value: Any) -> str:
    text = "" if value is None else str(value)
    # A signature is told apart by its SHA-256; the first characters are enough to see it changed.
    return f"{text[:16]}…" if key == "firma_reto" and text else text


def _oce_label(row: dict[str, Any]) -> str:
    end = date.fromisoformat(row["end_date"]).strftime("%d/%m/%Y")
    return (
        f"{row['code']} {row['oce_type']} — inicio {row['start_month']}/{row['start_year']}, "
        f"fin {end}"
    )


def _answered(data: dict[str, Any] | None) -> Answered | None:
    if not data:
        return None
    at = data.get("at") or ""
    return Answered(
        status=str(RequestStatus(data["status"]).label)
        if data.get("status") in RequestStatus.values
        else str(data.get("status", "")),
        text=data.get("observation", ""),
        items=[
            registration_services.correction_item_label(str(i))
            for i in data.get("observed_items", [])
        ],
        reasons=list(data.get("reasons", [])),
        by=data.get("by", ""),
        at=datetime.fromisoformat(at) if at else None,
    )


def request_changes(*, request: RegistrationRequest) -> RequestChanges | None:
    """What the applicant changed in the latest correction; None if never corrected.

    One query, whatever the number of versions, fields, files or OCE rows.
    """
    versions = list(RequestVersion.objects.filter(request=request).order_by("number"))
    if len(versions) < 2:
        return None
    before, after = versions[-2].data, versions[-1].data
    fields = [
        FieldChange(label, _shown(key, before.get(key)), _shown(key, after.get(key)))
        for key, label in declaration_for(request.kind).snapshot_fields
        if before.get(key) != after.get(key)
    ]
    old_files = {f["sha256"]: f for f in before.get("certificados", [])}
    new_files = {f["sha256"]: f for f in after.get("certificados", [])}
    old_oces = {_oce_label(row) for row in before.get("oces", [])}
    new_oces = {_oce_label(row) for row in after.get("oces", [])}
    return RequestChanges(
        number=versions[-1].number,
        since=versions[-2].number,
        fields=fields,
        certificates_added=[f for sha, f in new_files.items() if sha not in old_files],
        certificates_removed=[f for sha, f in old_files.items() if sha not in new_files],
        oces_added=sorted(new_oces - old_oces),
        oces_removed=sorted(old_oces - new_oces),
        versions=versions,
        answered=_answered(after.get("answering")),
    )
