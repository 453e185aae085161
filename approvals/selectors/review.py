"""The review page: the request behind a task, requests and users related to it, rejection reasons."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from viewflow.workflow.models import Task

from approvals.models import RegistrationProcess, RejectionReason
from registration.models import OceRow, RegistrationRequest, User


def process_of_task(task: Task) -> RegistrationProcess:
    return (
        RegistrationProcess.objects.select_related(
            "request__province", "request__canton", "request__operadora"
        )
        .prefetch_related(
            Prefetch("request__oces", queryset=OceRow.objects.select_related("oce_type")),
            "request__certificates",
        )
        .get(pk=task.process_id)
    )


@dataclass(frozen=True)
class Related:
    requests: list[RegistrationRequest]
    users: list[User]


def related_to_request(*, request: RegistrationRequest) -> Related:
    """Other requests and active users with the same RUC or cédula."""
    others = (
        RegistrationRequest.objects.filter(Q(ruc=request.ruc) | Q(cedula=request.cedula))
        .exclude(pk=request.pk)
        .order_by("-created")[:20]
    )
    users = User.objects.filter(
        Q(cedula=request.cedula) | Q(registration_requests__ruc=request.ruc), is_active=True
    ).distinct()[:20]
    return Related(requests=list(others), users=list(users))


def rejection_reasons() -> QuerySet[RejectionReason]:
    return RejectionReason.objects.filter(active=True)
