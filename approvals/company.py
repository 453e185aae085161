"""An organisation representative's workspace ("3.2.4 Administración de empleado" for a
company's Representante, "Administración de usuarios de la entidad" for a Representante
de la entidad): reads and decisions over every flow's company_review step, and the
organisation's active members.

A representative sees only the requests of the kinds their organisations' representative
kind decides (a company's employees, an entity's officials), never one naming their own
cédula; the decision completes the process's task under the flow lock, so two
representatives deciding at once give one decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from django.db.models import Q, QuerySet
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from registration import services as registration_services
from registration.kinds import COMPANY_DECIDED_KINDS, KINDS
from registration.models import RegistrationRequest, RequestKind, RequestStatus, User
from registration.selectors import user_represented_companies
from workflow.flows import company_review_nodes
from workflow.services import ProcessError, company_decision_submit

REQUEST = "process__registrationprocess__request"


class CompanyDecisionError(ProcessError):
    """A representative's action that can't be done; the message is for them."""


class Decision(StrEnum):
    APPROVE = "approve"
    OBSERVE = "observe"
    REJECT = "reject"


def _represented(user: User, prefix: str = "") -> Q:
    """Members' requests of the organisations the user represents, each kind by its own
    representative kind (``prefix`` leads to the request)."""
    condition = Q(pk__in=[])
    for kind in sorted(COMPANY_DECIDED_KINDS):
        companies = user_represented_companies(user=user, kind=KINDS[kind].represented_by)
        condition |= Q(**{f"{prefix}kind": kind, f"{prefix}employment__company__in": companies})
    return condition


def user_administers(*, user: User) -> list[str]:
    """The member kinds this user decides (empty for someone who represents nothing)."""
    return [
        kind
        for kind in sorted(COMPANY_DECIDED_KINDS)
        if user_represented_companies(user=user, kind=KINDS[kind].represented_by).exists()
    ]


ADMIN_TITLES = {
    RequestKind.EMPLEADO: "Administración de empleado",
    RequestKind.ENTIDAD: "Administración de usuarios de la entidad",
}


def admin_title(*, user: User) -> str:
    """The workspace's name for this representative, in ECUAPASS's words."""
    return " / ".join(ADMIN_TITLES[RequestKind(k)] for k in user_administers(user=user))


def _pending(user: User) -> QuerySet[Task]:
    return (
        Task._default_manager.filter(
            _represented(user, f"{REQUEST}__"),
            flow_task__in=company_review_nodes(),
            status=STATUS.NEW,
        )
        .exclude(**{f"{REQUEST}__cedula": user.cedula})
        .select_related(f"{REQUEST}__employment__company", f"{REQUEST}__province")
    )


def pending_employee_tasks(*, user: User) -> list[Task]:
    """The employee requests waiting for this representative's companies, oldest first."""
    return list(_pending(user).order_by("created", "pk")[:200])


def pending_employee_count(*, user: User) -> int:
    return _pending(user).count()


def employee_task(*, task_pk: int, user: User) -> Task | None:
    """A pending employee request this representative may open (None otherwise)."""
    return _pending(user).filter(pk=task_pk).first()


def task_request(task: Task) -> RegistrationRequest:
    request: RegistrationRequest = task.process.registrationprocess.request
    return request


def company_employees(*, user: User) -> list[RegistrationRequest]:
    """The active members (employees, officials) of the organisations this representative
    represents (revoked too, marked), newest first."""
    return list(
        RegistrationRequest.objects.filter(_represented(user), status=RequestStatus.ACTIVE)
        .exclude(cedula=user.cedula)
        .select_related("employment__company", "user")
        .prefetch_related(
            "employment__grants__options",
            "employment__grants__oce_type",
            "employment__procedures",
        )
        .order_by("-status_changed_at", "-pk")
    )


def company_employee(*, request_pk: int, user: User) -> RegistrationRequest | None:
    return next((r for r in company_employees(user=user) if r.pk == request_pk), None)


def employee_decide(
    *,
    task_pk: int,
    actor: User,
    decision: Decision,
    grants: Sequence[registration_services.GrantEntry] = (),
    comment: str = "",
    observed_items: Sequence[str] = (),
    source_ip: str | None = None,
) -> RegistrationRequest:
    """Approve (with what the kind grants), observe or reject a member's request; once."""
    task = Task._default_manager.filter(pk=task_pk, flow_task__in=company_review_nodes()).first()
    if task is None:
        raise CompanyDecisionError("La solicitud no existe.")
    comment = comment.strip()
    if decision is Decision.OBSERVE and not comment:
        raise CompanyDecisionError("Escriba las observaciones que el solicitante debe corregir.")
    if decision is Decision.REJECT and not comment:
        raise CompanyDecisionError("Indique el motivo del rechazo.")
    request = task_request(task)

    def apply(request_id: int) -> RegistrationRequest:
        if decision is Decision.APPROVE:
            return registration_services.employee_approve(
                request_id=request_id, actor=actor, grants=grants, source_ip=source_ip
            )
        if decision is Decision.OBSERVE:
            return registration_services.employee_observe(
                request_id=request_id,
                actor=actor,
                comments=comment,
                items=observed_items,
                source_ip=source_ip,
            )
        return registration_services.employee_reject(
            request_id=request_id, actor=actor, reason=comment, source_ip=source_ip
        )

    try:
        return company_decision_submit(request=request, apply=apply)
    except registration_services.EmployeeDecisionError as exc:
        raise CompanyDecisionError(str(exc)) from exc
    except registration_services.TransitionNotAllowed as exc:
        raise CompanyDecisionError(
            "Esta solicitud ya fue decidida, o la está decidiendo otro representante en este "
            "momento. Recargue la página."
        ) from exc
