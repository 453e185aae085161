"""Every write of SENAE's review workspace: takes, releases, reassignments, decisions, roles."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from typing import Any

from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals.models import RejectionReason
from approvals.selectors.staff import REVIEWER_GROUP, SUPERVISOR_GROUP
from registration import services as registration_services
from registration.models import User
from workflow.flows import review_nodes
from workflow.jobs import outcome_record
from workflow.models import RegistrationProcess
from workflow.selectors import MANAGE_PERMISSION, REVIEW_PERMISSION, is_own_request
from workflow.services import ProcessError

logger = logging.getLogger(__name__)


class ReviewError(ProcessError):
    """A reviewer action that can't be done; the message is for the reviewer."""


class Decision(StrEnum):
    APPROVE = "approve"
    OBSERVE = "observe"
    REJECT = "reject"


# --- Human review -----------------------------------------------------------------


def _review_task(task_pk: int) -> Task:
    task = Task._default_manager.filter(pk=task_pk, flow_task__in=review_nodes()).first()
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
        if not actor.has_perm(MANAGE_PERMISSION):
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
            request = registration_services.request_approve(
                request_id=request_id, actor=actor, source_ip=source_ip
            )
        elif decision is Decision.OBSERVE:
            request = registration_services.request_observe(
                request_id=request_id,
                actor=actor,
                comments=comment,
                items=observed_items,
                source_ip=source_ip,
            )
        else:
            request = registration_services.request_reject(
                request_id=request_id, actor=actor, reason=comment, source_ip=source_ip
            )
        outcome_record(activation, request)  # the decision gate routes on it
        activation.execute()


# --- Roles -------------------------------------------------------------------------


def roles_setup() -> None:
    """Create the reviewer and supervisor groups with their permissions (idempotent)."""
    from django.contrib.auth.models import Group, Permission

    review = Permission.objects.get(
        content_type__app_label="workflow", codename="review_registration"
    )
    manage = Permission.objects.get(
        content_type__app_label="workflow", codename="manage_registrationprocess"
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
