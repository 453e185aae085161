"""A Celery job node for django-viewflow's free edition.

`CeleryJob(job, prepare=None)` puts a task row in SCHEDULED and, only after
the surrounding transaction commits, sends `workflow.tasks.run_flow_job(task_pk)`
to the broker. The worker first runs `prepare(process)` outside any
transaction (slow I/O such as fetching CRLs belongs there; it must only read),
then `job(activation, prepared)` and the node's completion under the flow
lock, in one transaction, so a crash at any point leaves the task SCHEDULED
for a redelivery or the sweep to pick up, never half done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone
from viewflow import this
from viewflow.workflow.activation import Activation, has_manage_permission
from viewflow.workflow.nodes import AbstractJob, AbstractJobActivation, Handle
from viewflow.workflow.nodes.handle import HandleActivation
from viewflow.workflow.status import STATUS

logger = logging.getLogger(__name__)

JobFunc = Callable[[Activation, Any], None]
PrepareFunc = Callable[[Any], Any]


class CeleryJobActivation(AbstractJobActivation):
    @Activation.status.transition(source=STATUS.NEW, target=STATUS.SCHEDULED)
    def activate(self) -> None:
        self.task.save()
        task_pk = self.task.pk
        transaction.on_commit(lambda: enqueue_job(task_pk))

    @Activation.status.transition(
        source=[STATUS.NEW, STATUS.SCHEDULED, STATUS.ERROR],
        target=STATUS.CANCELED,
        permission=has_manage_permission,
    )
    def cancel(self) -> None:
        self.task.finished = timezone.now()
        self.task.save()


class CeleryJob(AbstractJob):
    """Run `job(activation)` in a Celery worker, after commit, under the flow lock."""

    activation_class = CeleryJobActivation

    def __init__(self, job: JobFunc, prepare: PrepareFunc | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._job = job
        self._prepare = prepare

    def _resolve(self, instance: Any) -> None:
        super()._resolve(instance)
        self._job = this.resolve(instance, self._job)
        self._prepare = this.resolve(instance, self._prepare)

    def prepare(self, process: Any) -> Any:
        """Read-only work before the lock (slow I/O); its result goes to the job."""
        return self._prepare(process) if self._prepare is not None else None

    def run_job(self, activation: Activation, prepared: Any) -> None:
        self._job(activation, prepared)


def enqueue_job(task_pk: int) -> bool:
    """Send the job message; on a broker failure leave it for the sweep.

    Returns whether the broker took the message. The task row's `scheduled`
    column records when a message was last sent, which the sweep reads.
    """
    from django.conf import settings
    from viewflow.workflow.models import Task

    from workflow.tasks import run_flow_job

    try:
        run_flow_job.apply_async(args=(task_pk,), queue=settings.ECUAPASS_JOB_QUEUE)
    except Exception:  # the broker is down or refused: the sweep will retry
        logger.warning(
            "Could not enqueue flow job task %s; the sweep will retry", task_pk, exc_info=True
        )
        return False
    Task._default_manager.filter(pk=task_pk).update(scheduled=timezone.now())
    return True


class AnnouncedWaitActivation(HandleActivation):
    @classmethod
    def create(
        cls,
        flow_task: Any,
        prev_activation: Activation,
        token: Any,
        data: Any = None,
        seed: Any = None,
    ) -> Activation:
        activation = super().create(flow_task, prev_activation, token, data=data, seed=seed)
        if flow_task.on_create is not None:
            flow_task.on_create(activation)
        return activation


class AnnouncedWait(Handle):
    """A wait completed by code (someone's decision through a service, or expiry) that tells
    someone when it starts: ``on_create(activation)`` runs in the transaction that creates it.

    Like viewflow's ``Handle`` (``node.run(task, **kwargs)`` runs ``func(activation,
    **kwargs)`` under the flow lock and completes the task), so a decision and an expiry
    racing for it give one outcome.
    """

    activation_class = AnnouncedWaitActivation

    def __init__(
        self,
        func: Callable[..., Any] | None = None,
        *,
        on_create: Callable[[Activation], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(func, **kwargs)
        self.on_create = on_create
