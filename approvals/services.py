"""Every write of the reviewer side and of the process: jobs, takes, decisions."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from viewflow.fsm import TransitionNotAllowed as ViewflowTransitionNotAllowed
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals.flows import RepresentanteFlow
from approvals.models import RegistrationProcess, RejectionReason
from approvals.nodes import CeleryJob, enqueue_job
from approvals.selectors.staff import (
    REVIEW_PERMISSION,
    REVIEWER_GROUP,
    SUPERVISOR_GROUP,
    is_own_request,
)
from registration import selectors as registration_selectors
from registration import services as registration_services
from registration.models import RegistrationRequest, User

logger = logging.getLogger(__name__)


class ReviewError(Exception):
    """A reviewer action that can't be done; the message is for the reviewer."""


class Decision(StrEnum):
    APPROVE = "approve"
    OBSERVE = "observe"
    REJECT = "reject"


def process_start(*, request: RegistrationRequest) -> RegistrationProcess:
    """Start the request's process; its first job is sent after commit."""
    process: RegistrationProcess = RepresentanteFlow.start.run(request=request)
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
            raise ReviewError("Este trabajo no se puede reintentar.")
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


# --- Human review -----------------------------------------------------------------


def _review_task(task_pk: int) -> Task:
    task = Task._default_manager.filter(pk=task_pk, flow_task=RepresentanteFlow.review).first()
    if task is None:
        raise ReviewError("La tarea no existe.")
    return task


def _check_not_own(actor: User, process: RegistrationProcess) -> None:
    if is_own_request(actor, process.request):
        raise ReviewError("No puede revisar una solicitud en la que usted es el solicitante.")


@contextmanager
def _review_activation(task: Task) -> Iterator[Any]:
    """The task's activation under the flow lock; a busy lock is a message, not a crash."""
    try:
        with task.activation() as activation:
            yield activation
    except FlowLockFailed as exc:
        raise ReviewError(
            "Otro revisor está trabajando en esta solicitud en este momento. Intente de nuevo."
        ) from exc


def review_take(*, task_pk: int, actor: User, source_ip: str | None = None) -> None:
    """Take a request from the queue; the second of two racing reviewers is told."""
    task = _review_task(task_pk)
    with _review_activation(task) as activation:
        if task.owner_id is not None:
            if task.owner_id == actor.pk:
                return
            raise ReviewError("Otro revisor ya tomó esta solicitud.")
        if not activation.assign.can_proceed():
            raise ReviewError("Esta solicitud ya no está pendiente de revisión.")
        if not activation.assign.has_perm(actor):
            raise ReviewError("No tiene permiso para revisar solicitudes.")
        _check_not_own(actor, activation.process)
        activation.assign(user=actor)
        registration_services.request_note(
            request_id=activation.process.request_id,
            actor=actor,
            comment="Tomada para revisión.",
            source_ip=source_ip,
        )


def review_release(*, task_pk: int, actor: User, source_ip: str | None = None) -> None:
    task = _review_task(task_pk)
    with _review_activation(task) as activation:
        if not activation.unassign.can_proceed() or not activation.unassign.has_perm(actor):
            raise ReviewError("Solo quien tomó la solicitud puede liberarla.")
        activation.unassign()
        registration_services.request_note(
            request_id=activation.process.request_id,
            actor=actor,
            comment="Liberada: vuelve a la cola.",
            source_ip=source_ip,
        )


def review_reassign(*, task_pk: int, actor: User, to: User, source_ip: str | None = None) -> None:
    """A supervisor hands a request (taken or not) to another reviewer."""
    task = _review_task(task_pk)
    if not to.has_perm(REVIEW_PERMISSION):
        raise ReviewError(f"{to.username} no es revisor.")
    with _review_activation(task) as activation:
        if not RepresentanteFlow.instance.has_manage_permission(actor):
            raise ReviewError("Solo un supervisor puede reasignar.")
        if task.status not in (STATUS.NEW, STATUS.ASSIGNED):
            raise ReviewError("Esta solicitud ya no está pendiente de revisión.")
        _check_not_own(to, activation.process)
        if task.status == STATUS.NEW:
            activation.assign(user=to)
        else:
            activation.reassign(user=to)
        registration_services.request_note(
            request_id=activation.process.request_id,
            actor=actor,
            comment=f"Reasignada a {to.username}.",
            source_ip=source_ip,
        )


def review_decide(
    *,
    task_pk: int,
    actor: User,
    decision: Decision,
    comment: str = "",
    observed_items: Sequence[str] = (),
    source_ip: str | None = None,
) -> None:
    """Approve, observe or reject a request the actor holds; only once."""
    task = _review_task(task_pk)
    comment = comment.strip()
    if decision is Decision.OBSERVE and not comment:
        raise ReviewError("Escriba las observaciones que el solicitante debe corregir.")
    if decision is Decision.REJECT and not comment:
        raise ReviewError("Indique el motivo del rechazo.")
    with _review_activation(task) as activation:
        if task.status == STATUS.DONE:
            raise ReviewError("Esta solicitud ya fue decidida.")
        if task.owner_id != actor.pk:
            raise ReviewError("Tome la solicitud antes de decidir.")
        if not activation.start.can_proceed() or not activation.start.has_perm(actor):
            raise ReviewError("No puede decidir esta solicitud.")
        _check_not_own(actor, activation.process)
        activation.start(request=None)
        request_id = activation.process.request_id
        if decision is Decision.APPROVE:
            registration_services.request_approve(
                request_id=request_id, actor=actor, source_ip=source_ip
            )
        elif decision is Decision.OBSERVE:
            registration_services.request_observe(
                request_id=request_id,
                actor=actor,
                comments=comment,
                items=observed_items,
                source_ip=source_ip,
            )
        else:
            registration_services.request_reject(
                request_id=request_id, actor=actor, reason=comment, source_ip=source_ip
            )
        activation.execute()


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
    node = RepresentanteFlow.await_correction
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
    node = RepresentanteFlow.confirm_email
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


def waiting_request_expire(*, request: RegistrationRequest) -> bool:
    """End a request that waited too long for the applicant; False if it moved on meanwhile."""
    for node in (RepresentanteFlow.confirm_email, RepresentanteFlow.await_correction):
        task = _applicant_task(request, node)
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


# --- Roles -------------------------------------------------------------------------


def roles_setup() -> None:
    """Create the reviewer and supervisor groups with their permissions (idempotent)."""
    from django.contrib.auth.models import Group, Permission

    review = Permission.objects.get(
        content_type__app_label="approvals", codename="review_registration"
    )
    manage = Permission.objects.get(
        content_type__app_label="approvals", codename="manage_registrationprocess"
    )
    reviewers, _ = Group.objects.get_or_create(name=REVIEWER_GROUP)
    reviewers.permissions.add(review)
    supervisors, _ = Group.objects.get_or_create(name=SUPERVISOR_GROUP)
    supervisors.permissions.add(review, manage)
    for position, text in enumerate(DEFAULT_REJECTION_REASONS):
        RejectionReason.objects.get_or_create(text=text, defaults={"position": position})


DEFAULT_REJECTION_REASONS = (
    "La empresa no tiene autorización vigente como OCE",
    "El representante no consta como representante legal de la empresa",
    "El certificado digital no corresponde al representante",
    "Información de la empresa inconsistente con el RUC",
    "Solicitud duplicada",
    "Otro motivo",
)


class StaffAccountError(Exception):
    """Staff account data that can't be accepted; the message is for the administrator."""


def staff_user_create(
    *, username: str, password: str, group: str, cedula: str, email: str, first_name: str = ""
) -> User:
    """Create or reset a SENAE staff account in one of the role groups.

    The cédula is required: it is what the own-request rule compares with each
    request's Doc. Identificación. The email receives the code that opens the
    second-factor enrolment (approvals.two_factor).
    """
    from django.contrib.auth.models import Group
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    from registration.validators import validate_cedula

    try:
        cedula = validate_cedula(cedula)
        validate_email(email)
    except ValidationError as exc:
        raise StaffAccountError(" ".join(exc.messages)) from exc
    if User.objects.filter(cedula=cedula).exclude(username=username).exists():
        raise StaffAccountError(f"La cédula {cedula} ya pertenece a otro usuario.")
    roles_setup()
    user, _ = User.objects.get_or_create(username=username)
    user.first_name = first_name
    user.cedula = cedula
    user.email = email
    user.is_active = True
    user.set_password(password)
    user.save()
    user.groups.add(Group.objects.get(name=group))
    return user
