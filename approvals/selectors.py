"""Reads of the reviewer side: queues and the review page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals.flows import RepresentanteFlow
from approvals.models import RegistrationProcess
from registration.models import User

QUEUE_PAGE_SIZE = 50


def _review_tasks() -> QuerySet[Task]:
    return Task._default_manager.filter(flow_task=RepresentanteFlow.review).select_related(
        "owner", "process__registrationprocess__request__province"
    )


def review_queue_unassigned() -> QuerySet[Task]:
    """Requests waiting for a reviewer, oldest first."""
    return _review_tasks().filter(status=STATUS.NEW).order_by("created", "pk")


def review_queue_mine(*, user: User) -> QuerySet[Task]:
    return _review_tasks().filter(status=STATUS.ASSIGNED, owner=user).order_by("created", "pk")


def review_task(*, task_pk: int) -> Task | None:
    return _review_tasks().filter(pk=task_pk).first()


def process_of_task(task: Task) -> RegistrationProcess:
    return RegistrationProcess.objects.select_related(
        "request__province", "request__canton", "request__operadora"
    ).get(pk=task.process_id)


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
