"""The review queues: filters, search, one page of rows, the capped counts, a task by its id."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from registration.models import OceRow, RegistrationRequest, User
from workflow import sla
from workflow.deadlines import sla_cutoffs, sla_holidays
from workflow.flows import company_review_nodes, review_nodes

QUEUE_PAGE_SIZE = 50
# Queue counts stop here: "1000+" instead of a COUNT over the whole table.
COUNT_CAP = 1000

QUEUES = {
    "sin-asignar": "Sin asignar",
    "mias": "Mis tareas",
    "todas": "Todas (supervisor)",
    "decididas": "Decididas",
}
SORTS = {
    "antiguas": ("created", "pk"),
    "recientes": ("-created", "-pk"),
    "empresa": ("razon_social", "id"),
    "provincia": ("province_id", "id"),
}
# These sort by the request: the page walks the request index (razon_social, id) or
# (province_id, id) and keeps requests whose task is in the queue.
REQUEST_SORTS = frozenset({"empresa", "provincia"})
TRACKING_NUMBER = re.compile(r"^SOL-\d{4}-\d{1,6}$", re.IGNORECASE)
REQUEST = "process__registrationprocess__request"


@dataclass(frozen=True)
class QueueFilters:
    """Cleaned filter values (approvals.forms.QueueFilterForm makes them from the query)."""

    queue: str = "sin-asignar"
    q: str = ""
    kind: str = ""
    ruc: str = ""
    province: str = ""
    oce_type: int | None = None
    verification: str = ""
    sla: str = ""
    sort: str = "antiguas"
    page: int = 1


@dataclass(frozen=True)
class QueueRow:
    task_pk: int
    tracking_number: str
    kind: str
    razon_social: str
    ruc: str
    applicant: str
    cedula: str
    province: str
    oce_types: str
    verification: str
    received: datetime
    age: timedelta
    sla_state: str
    owner: str
    decided: datetime | None
    request_status: str
    verification_warning: bool = False


@dataclass
class QueuePage:
    rows: list[QueueRow]
    number: int
    has_next: bool
    counts: dict[str, str] = field(default_factory=dict)

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def _review_tasks() -> QuerySet[Task]:
    return Task._default_manager.filter(flow_task__in=review_nodes())


def _all_decision_tasks() -> QuerySet[Task]:
    """SENAE's review steps and the companies' (employees): supervisors see both in "Todas"."""
    return Task._default_manager.filter(flow_task__in=[*review_nodes(), *company_review_nodes()])


def is_company_decided(task: Task) -> bool:
    """A company's representative decides this task (read-only for SENAE)."""
    return task.flow_task in company_review_nodes()


def _queue_base(queue: str, user: User) -> QuerySet[Task]:
    tasks = _review_tasks()
    supervisor = user.has_perm("workflow.manage_registrationprocess")
    if queue == "mias":
        return tasks.filter(status=STATUS.ASSIGNED, owner=user)
    if queue == "todas":
        every = _all_decision_tasks().filter(status__in=[STATUS.NEW, STATUS.ASSIGNED])
        return every if supervisor else tasks.none()
    if queue == "decididas":
        done = tasks.filter(status=STATUS.DONE)
        return done if supervisor else done.filter(owner=user)
    return tasks.filter(status=STATUS.NEW)


def _filtered(tasks: QuerySet[Task], filters: QueueFilters, now: datetime) -> QuerySet[Task]:
    if filters.q:
        tasks = tasks.filter(_search(filters.q))
    if filters.kind:
        tasks = tasks.filter(**{f"{REQUEST}__kind": filters.kind})
    if filters.ruc:
        tasks = tasks.filter(**{f"{REQUEST}__ruc": filters.ruc})
    if filters.province:
        tasks = tasks.filter(**{f"{REQUEST}__province_id": filters.province})
    if filters.oce_type is not None:
        tasks = tasks.filter(
            Exists(
                OceRow.objects.filter(
                    request_id=OuterRef(f"{REQUEST}__pk"), oce_type_id=filters.oce_type
                )
            )
        )
    if filters.verification:
        tasks = tasks.filter(**{f"{REQUEST}__verification_outcome": filters.verification})
    if filters.sla in {"vencida", "por vencer", "a tiempo"}:
        overdue, due_soon = sla_cutoffs(now)
        if filters.sla == "vencida":
            tasks = tasks.filter(created__lte=overdue)
        elif filters.sla == "por vencer":
            tasks = tasks.filter(created__gt=overdue, created__lte=due_soon)
        else:
            tasks = tasks.filter(created__gt=due_soon)
    return tasks


def _search(q: str) -> Q:
    """What the search box means, by the shape of what was typed (each shape has its index)."""
    if TRACKING_NUMBER.match(q):
        return Q(**{f"{REQUEST}__tracking_number": q.upper()})
    if q.isascii() and q.isdigit():
        if len(q) == 13:
            return Q(**{f"{REQUEST}__ruc": q})
        if len(q) == 10:
            return Q(**{f"{REQUEST}__cedula": q}) | Q(**{f"{REQUEST}__ruc__startswith": q})
        return Q(**{f"{REQUEST}__ruc__startswith": q}) | Q(**{f"{REQUEST}__cedula__startswith": q})
    return Q(**{f"{REQUEST}__nombre_usuario__icontains": q}) | Q(
        **{f"{REQUEST}__razon_social__icontains": q}
    )


def bounded_count(tasks: QuerySet[Task]) -> str:
    n = tasks.values("pk")[: COUNT_CAP + 1].count()
    return f"{COUNT_CAP}+" if n > COUNT_CAP else str(n)


def review_queue(*, user: User, filters: QueueFilters) -> QueuePage:
    """One page of a queue with its filters; a fixed number of queries whatever the size."""
    now = timezone.now()
    tasks = _filtered(_queue_base(filters.queue, user), filters, now)
    offset = (filters.page - 1) * QUEUE_PAGE_SIZE
    limit = offset + QUEUE_PAGE_SIZE + 1
    loaded = tasks.select_related("owner", f"{REQUEST}__province").prefetch_related(
        Prefetch(f"{REQUEST}__oces", queryset=OceRow.objects.select_related("oce_type"))
    )
    if filters.queue == "decididas":
        page = list(loaded.order_by("-finished", "-pk")[offset:limit])
    elif filters.sort in REQUEST_SORTS:
        request_ids = list(
            RegistrationRequest.objects.filter(
                Exists(tasks.filter(**{f"{REQUEST}": OuterRef("pk")}))
            )
            .order_by(*SORTS[filters.sort])
            .values_list("pk", flat=True)[offset:limit]
        )
        by_request = {
            task.process.registrationprocess.request_id: task
            for task in loaded.filter(**{f"{REQUEST}__in": request_ids})
        }
        page = [by_request[pk] for pk in request_ids if pk in by_request]
    else:
        page = list(loaded.order_by(*SORTS[filters.sort])[offset:limit])
    days = settings.ECUAPASS_REVIEW_SLA_DAYS
    holidays = sla_holidays(now)
    rows = [_row(task, now, days, holidays) for task in page[:QUEUE_PAGE_SIZE]]
    # Queue sizes (not filtered): cheap on the (flow_task, status, created) index, and capped.
    counts = {name: bounded_count(_queue_base(name, user)) for name in QUEUES}
    return QueuePage(
        rows=rows, number=filters.page, has_next=len(page) > QUEUE_PAGE_SIZE, counts=counts
    )


def _row(task: Task, now: datetime, days: int, holidays: frozenset[date]) -> QueueRow:
    request: RegistrationRequest = task.process.registrationprocess.request
    end = task.finished or now
    return QueueRow(
        task_pk=task.pk,
        tracking_number=request.tracking_number,
        kind=request.get_kind_display().removeprefix("Solicitud del uso (").removesuffix(")"),
        razon_social=request.razon_social,
        ruc=request.ruc,
        applicant=request.nombre_usuario,
        cedula=request.cedula,
        province=request.province.name,
        oce_types=", ".join(sorted({o.oce_type.name for o in request.oces.all()})),
        verification=request.get_verification_outcome_display() or "—",
        received=task.created,
        age=sla.business_age(task.created, end, holidays=holidays),
        sla_state=sla.sla_state(task.created, end, business_days=days, holidays=holidays),
        owner=task.owner.username if task.owner else "",
        decided=task.finished,
        request_status=request.get_status_display(),
        verification_warning=request.verification_outcome == "advertencias",
    )


def review_task(*, task_pk: int, user: User | None = None) -> Task | None:
    """A SENAE review task; for a supervisor (``user``), a company's employee task too."""
    tasks = (
        _all_decision_tasks()
        if user is not None and user.has_perm("workflow.manage_registrationprocess")
        else _review_tasks()
    )
    return tasks.select_related("owner", f"{REQUEST}__province").filter(pk=task_pk).first()
