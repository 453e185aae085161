"""The company representative's workspace ("3.2.4 Administración de empleado"): reads and
decisions over every flow's company_review step, and the company's active employees.

A representative sees only the requests of the companies they actively represent,
never one naming their own cédula; the decision completes the process's task under
the flow lock, so two representatives deciding at once give one decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from django.db.models import QuerySet
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from registration import services as registration_services
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


def _pending(user: User) -> QuerySet[Task]:
    companies = user_represented_companies(user=user)
    return (
        Task._default_manager.filter(
            flow_task__in=company_review_nodes(),
            status=STATUS.NEW,
            **{f"{REQUEST}__employment__company__in": companies},
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
    """The active employees of the companies this representative represents (revoked too,
    marked), newest first."""
    return list(
        RegistrationRequest.objects.filter(
            kind=RequestKind.EMPLEADO,
            status=RequestStatus.ACTIVE,
            employment__company__in=user_represented_companies(user=user),
        )
        .exclude(cedula=user.cedula)
        .select_related("employment__company", "user")
        .prefetch_related("employment__grants__options", "employment__grants__oce_type")
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
    """Approve (with codes and options), observe or reject an employee's request; once."""
    task = Task._default_manager.filter(pk=task_pk, flow_task__in=company_review_nodes()).first()
    if task is None:
        raise CompanyDecisionError("La solicitud no existe.")
    comment = comment.strip()
    if decision is Decision.OBSERVE and not comment:
        raise CompanyDecisionError("Escriba las observaciones que el empleado debe corregir.")
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
