"""Celery adapters: take IDs, call a service, own the retry policy."""

from __future__ import annotations

import logging
import random

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import DatabaseError, InterfaceError
from viewflow.workflow.exceptions import FlowLockFailed

from workflow import services

logger = logging.getLogger(__name__)

# Worth another try: the database or the lock was briefly unavailable.
TRANSIENT_ERRORS = (DatabaseError, InterfaceError, FlowLockFailed, SoftTimeLimitExceeded, OSError)
MAX_RETRIES = 6


def backoff_seconds(retries: int) -> float:
    """Exponential backoff with jitter: about 5 s, 10 s, 20 s … capped at 5 min."""
    return float(min(300, 5 * 2**retries) + random.uniform(0, 3))  # noqa: S311


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def run_flow_job(self: Task, task_pk: int) -> None:
    try:
        services.flow_job_run(task_pk=task_pk)
    except TRANSIENT_ERRORS as exc:
        if self.request.retries >= MAX_RETRIES:
            logger.error("Flow job %s failed after %s retries", task_pk, MAX_RETRIES)
            services.flow_job_fail(task_pk=task_pk, error=exc)
            return
        raise self.retry(exc=exc, countdown=backoff_seconds(self.request.retries)) from exc
    except Exception as exc:
        logger.exception("Flow job %s failed", task_pk)
        services.flow_job_fail(task_pk=task_pk, error=exc)


@shared_task(acks_late=True)
def sweep_stalled_jobs() -> int:
    return services.flow_jobs_resend_stalled()


@shared_task(acks_late=True)
def sweep_waiting_requests() -> dict[str, int]:
    return services.waiting_sweep()
