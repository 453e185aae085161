"""The process services pages and workers call: start a request's process, run its jobs,
complete the applicant's steps, expire what waits too long.

Every request's process is its kind's flow (workflow.flows.flow_for). The human
steps of SENAE's reviewers are completed by approvals.services.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from viewflow.fsm import TransitionNotAllowed as ViewflowTransitionNotAllowed
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from registration import selectors as registration_selectors
from registration import services as registration_services
from registration.models import RegistrationRequest, User
from workflow.flows import flow_for
from workflow.models import RegistrationProcess
from workflow.nodes import CeleryJob, enqueue_job

logger = logging.getLogger(__name__)

# The nodes where a process waits for its applicant (a flow has those it needs).
APPLICANT_WAITS = ("confirm_email", "await_correction")
# Waits someone else ends (the company's decision on an employee); they expire too.
WAITS = (*APPLICANT_WAITS, "company_review")


class ProcessError(Exception):
    """A process action that can't be done; the message is for the person who asked."""


def request_submit(
    *,
    data: registration_services.PersonData,
    files: Sequence[registration_services.UploadedCertificate],
    submission_token: uuid.UUID,
    possession_challenge: str = "",
    possession_signature: bytes = b"",
    source_ip: str | None = None,
    submission_session: str = "",
) -> tuple[RegistrationRequest, bool]:
    """Registrar: the request and everything it needs, or nothing; once per form.

    One transaction holds the request, its rows, files, first version, process
    start, tracking number, history and email code; the number is taken near the
    end (the history and the email carry it), so the year's counter is locked only
    for the last two inserts and the commit. The Argon2 hashing is done before
    the transaction. A second submit of the same form (double click, retry)
    returns the first request with False. The first job and the email leave only
    after commit; with the broker down the request is still saved and the sweeps
    send them later.
    """
    secrets = registration_services.person_secrets_hash(
        password=data.password, answers=(data.answer1, data.answer2, data.answer3)
    )
    written: list[str] = []
    try:
        with transaction.atomic():
            request, created = registration_services.request_create(
                data=data,
                secrets=secrets,
                files=files,
                submission_token=submission_token,
                possession_challenge=possession_challenge,
                possession_signature=possession_signature,
                source_ip=source_ip,
                submission_session=submission_session,
                written_files=written,
            )
            if created:
                process_start(request=request)
                # The counter is locked from here to commit: two short inserts more.
                registration_services.request_number_assign(request=request, now=timezone.now())
                registration_services.request_submitted_record(request=request, source_ip=source_ip)
    except BaseException:
        registration_services.stored_files_delete(names=written)
        raise
    return request, created


def process_start(*, request: RegistrationRequest) -> RegistrationProcess:
    """Start the request's process (its kind's flow); its first job is sent after commit."""
    process: RegistrationProcess = flow_for(request.kind).start.run(request=request)
    return process


# --- Jobs ---------------------------------------------------------------------


def flow_job_run(*, task_pk: int) -> bool:
    """Run one job task and complete its node, in one transaction under the flow lock.

    Returns False when there was nothing to do (already done, cancelled,
    failed): a redelivered or duplicated message changes nothing.
    """
    task = Task._default_manager.filter(pk=task_pk).first()
    if task is None or task.status not in (STATUS.SCHEDULED, STATUS.STARTED):
        return False
    node = task.flow_task
    if not isinstance(node, CeleryJob):
        raise TypeError(f"Task {task_pk} is not a Celery job node")
    prepared = node.prepare(task.process.coerced)  # outside the transaction: may be slow
    with task.activation() as activation:
        if not activation.start.can_proceed():
            return False
        activation.start()
        node.run_job(activation, prepared)
        activation.execute()
    return True


def flow_job_fail(*, task_pk: int, error: BaseException) -> None:
    """Route a job that can't succeed to a visible ERROR state, noted on the request."""
    task = Task._default_manager.filter(pk=task_pk).first()
    if task is None:
        return
    with task.activation() as activation:
        if activation.start.can_proceed():
            activation.start()
        if not activation.error.can_proceed():
            return
        activation.error(error)
    process = RegistrationProcess.objects.get(pk=task.process_id)
    registration_services.request_record_job_failure(
        request_id=process.request_id,
        step=task.flow_task.name,
        error=str(error) or type(error).__name__,
    )


def flow_job_retry(*, task_pk: int, actor: User) -> Task:
    """A supervisor's retry of a failed job: a fresh task, sent after commit."""
    task = Task._default_manager.get(pk=task_pk)
    with task.activation() as activation:
        if not activation.revive.can_proceed() or not activation.revive.has_perm(actor):
            raise ProcessError("Este trabajo no se puede reintentar.")
        new_task: Task = activation.revive()
    return new_task


def flow_jobs_resend_stalled() -> int:
    """Re-send every job that should have run but is still waiting.

    A job never sent (broker down at submission) waits with `scheduled` empty;
    a job sent long ago and not done lost its message. Duplicates are harmless:
    `flow_job_run` checks the task's state first.
    """
    now = timezone.now()
    unsent = Q(
        scheduled__isnull=True,
        created__lte=now - timedelta(seconds=settings.ECUAPASS_JOB_UNSENT_AFTER),
    )
    stale = Q(scheduled__lte=now - timedelta(seconds=settings.ECUAPASS_JOB_STALE_AFTER))
    stalled = Task._default_manager.filter(
        flow_task_type="JOB", status__in=[STATUS.SCHEDULED, STATUS.STARTED]
    ).filter(unsent | stale)
    sent = 0
    for task_pk in stalled.values_list("pk", flat=True):
        if enqueue_job(task_pk):
            sent += 1
    return sent


# --- Waiting for the applicant: email code, correction, expiry ----------------


def _applicant_task(request: RegistrationRequest, node: Any) -> Task | None:
    process = RegistrationProcess.objects.filter(request=request).first()
    if process is None:
        return None
    task: Task | None = Task._default_manager.filter(
        process=process, flow_task=node, status=STATUS.NEW
    ).first()
    return task


def _applicant_step_run(task: Task, node: Any, apply: Any) -> None:
    """Complete a waiting task under the flow lock; a task someone else just completed is refused."""
    try:
        node.run(task, apply=apply)
    except FlowLockFailed as exc:
        raise registration_services.TransitionNotAllowed(
            "La solicitud se está actualizando en este momento. Intente de nuevo."
        ) from exc
    except ViewflowTransitionNotAllowed as exc:
        raise registration_services.TransitionNotAllowed(
            "La solicitud ya no está esperando esta acción. Recargue la página."
        ) from exc


def correction_submit(
    *, request: RegistrationRequest, data: registration_services.CorrectionData
) -> None:
    """Apply the applicant's corrections and send the request back to verification."""
    node = flow_for(request.kind).await_correction
    task = _applicant_task(request, node)
    if task is None:
        raise registration_services.TransitionNotAllowed(
            "Esta solicitud no está abierta a correcciones."
        )
    _applicant_step_run(
        task,
        node,
        lambda request_id: registration_services.request_resubmit(request_id=request_id, data=data),
    )


def email_confirm_submit(
    *, request: RegistrationRequest, code: str, source_ip: str | None = None
) -> registration_services.CodeCheck:
    """The applicant's code: a good one lets the process go on to certificate verification.

    The code is checked (and a wrong attempt counted) before the flow lock is taken.
    """
    node = flow_for(request.kind).confirm_email
    task = _applicant_task(request, node)
    if task is None:
        return registration_services.CodeCheck.MISSING
    outcome = registration_services.email_code_check(request=request, code=code)
    if outcome is registration_services.CodeCheck.OK:
        _applicant_step_run(
            task,
            node,
            lambda request_id: registration_services.request_email_confirm(
                request_id=request_id, source_ip=source_ip
            ),
        )
    return outcome


def company_decision_submit(
    *, request: RegistrationRequest, apply: Callable[[int], RegistrationRequest]
) -> RegistrationRequest:
    """A company representative's decision on the request waiting for its company.

    ``apply(request_id)`` is the registration service that checks who decides and
    records the decision; it runs under the flow lock, so of two decisions at once
    (or a decision and the expiry) one wins and the other is refused.
    """
    node = getattr(flow_for(request.kind), "company_review", None)
    task = _applicant_task(request, node) if node is not None else None
    if task is None:
        raise registration_services.TransitionNotAllowed("Esta solicitud ya fue decidida.")
    decided: list[RegistrationRequest] = []

    def record(request_id: int) -> RegistrationRequest:
        decided.append(apply(request_id))
        return decided[-1]

    _applicant_step_run(task, node, record)
    return decided[-1]


def waiting_request_expire(*, request: RegistrationRequest) -> bool:
    """End a request that waited too long (for its applicant, or for its company's
    decision); False if it moved on meanwhile."""
    flow = flow_for(request.kind)
    for name in WAITS:
        node = getattr(flow, name, None)
        task = _applicant_task(request, node) if node is not None else None
        if task is None:
            continue
        try:
            _applicant_step_run(
                task,
                node,
                lambda request_id: registration_services.request_expire(request_id=request_id),
            )
        except registration_services.TransitionNotAllowed:
            return False
        return True
    return False


def waiting_sweep() -> dict[str, int]:
    """Beat: remind once, then expire, requests waiting for their applicant.

    Each request is handled on its own, so one failure doesn't stop the rest,
    and a second sweep (or two beats at once) changes nothing more.
    """
    reminded = expired = 0
    now = timezone.now()
    for request in registration_selectors.requests_waiting_for_applicant(now=now):
        deadline = registration_services.expiry_deadline(request)
        try:
            if deadline is not None and deadline <= now:
                expired += waiting_request_expire(request=request)
            elif registration_services.request_remind(request_id=request.pk):
                reminded += 1
        except Exception:
            logger.exception("Waiting sweep failed for request %s", request.pk)
    return {"reminded": reminded, "expired": expired}
