"""What every applicant-side service shares: actors, errors, the one state-change path."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.utils import timezone

from registration.models import (
    RegistrationRequest,
    RequestEvent,
    RequestStatus,
    User,
)

logger = logging.getLogger(__name__)

SYSTEM_ACTOR = "sistema"
APPLICANT_ACTOR = "solicitante"


class SubmissionConflict(Exception):
    """The submission can't be saved as it is; `errors` maps form fields to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class TransitionNotAllowed(Exception):
    """The request is not in a state that allows this change."""


class ActivationConflict(Exception):
    """The ID. usuario belongs to another person; activation needs a person to look."""


def record_event(
    request: RegistrationRequest,
    *,
    from_status: str,
    to_status: str,
    actor: User | None,
    actor_label: str,
    comment: str = "",
    source_ip: str | None = None,
) -> RequestEvent:
    """Append a history row; the applicant hears of the states they care about."""
    from registration.services.notifications import notification_for_event

    event = RequestEvent.objects.create(
        request=request,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        actor_label=actor.username if actor is not None else actor_label,
        comment=comment,
        source_ip=source_ip or None,
    )
    notification_for_event(request=request, event=event)
    return event


def transition(
    request: RegistrationRequest,
    *,
    allowed_from: Iterable[str],
    to: RequestStatus,
    actor: User | None = None,
    actor_label: str = SYSTEM_ACTOR,
    comment: str = "",
    update_fields: Sequence[str] = (),
    source_ip: str | None = None,
) -> None:
    """Move a locked request to `to` and append the history row."""
    allowed = tuple(allowed_from)
    if request.status not in allowed:
        raise TransitionNotAllowed(
            f"{request.tracking_number}: {request.status} → {to} no está permitido."
        )
    from_status = request.status
    request.status = to
    request.status_changed_at = timezone.now()
    request.reminder_sent_at = None  # a new wait earns its own reminder
    request.save(
        update_fields=[
            "status",
            "status_changed_at",
            "reminder_sent_at",
            "updated",
            *update_fields,
        ]
    )
    record_event(
        request,
        from_status=from_status,
        to_status=to,
        actor=actor,
        actor_label=actor_label,
        comment=comment,
        source_ip=source_ip,
    )


def request_note(
    *, request_id: int, actor: User | None, comment: str, source_ip: str | None = None
) -> None:
    """A history row that changes no state: take, release, reassign, or a system notice."""
    request = RegistrationRequest.objects.get(pk=request_id)
    record_event(
        request,
        from_status=request.status,
        to_status=request.status,
        actor=actor,
        actor_label=SYSTEM_ACTOR,
        comment=comment,
        source_ip=source_ip,
    )


def local_time_text(moment: datetime | None = None) -> str:
    """A moment (default: now) as applicants read it: dd/mm/yyyy HH:MM, America/Guayaquil."""
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M")


def locked_request(request_id: int) -> RegistrationRequest:
    return RegistrationRequest.objects.select_for_update().get(pk=request_id)
