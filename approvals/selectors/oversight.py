"""What supervisors check besides the dashboard: automatic steps that failed, the audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from registration.models import RequestEvent


@dataclass(frozen=True)
class FailedJob:
    task_pk: int
    tracking_number: str
    step: str
    error: str
    failed_at: datetime | None


def failed_jobs() -> list[FailedJob]:
    """Automatic steps that ran out of retries and wait for a supervisor."""
    tasks = (
        Task._default_manager.filter(flow_task_type="JOB", status=STATUS.ERROR)
        .select_related("process__registrationprocess__request")
        .order_by("created")
    )
    return [
        FailedJob(
            task_pk=task.pk,
            tracking_number=task.process.registrationprocess.request.tracking_number,
            step=task.flow_task.name,
            error=(task.data or {}).get("_exception", {}).get("title", ""),
            failed_at=task.finished,
        )
        for task in tasks
    ]


def audit_events(*, since: date | None = None, until: date | None = None) -> Iterator[RequestEvent]:
    events = RequestEvent.objects.select_related("request").order_by("created", "pk")
    if since:
        events = events.filter(created__date__gte=since)
    if until:
        events = events.filter(created__date__lte=until)
    return events.iterator(chunk_size=2000)
