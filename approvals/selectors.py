"""Reads of the reviewer side: the queues, the review page, the dashboard, the audit trail."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals import sla
from approvals.calendar import review_holidays
from approvals.flows import RepresentanteFlow
from approvals.models import RegistrationProcess, RejectionReason
from registration import services as registration_services
from registration.models import (
    OceRow,
    RegistrationRequest,
    RequestEvent,
    RequestStatus,
    RequestVersion,
    User,
)
from registration.services.versions import SNAPSHOT_FIELDS

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
    queue: str = "sin-asignar"
    q: str = ""
    kind: str = ""
    ruc: str = ""
    province: str = ""
    oce_type: str = ""
    verification: str = ""
    sla: str = ""
    sort: str = "antiguas"
    page: int = 1

    @classmethod
    def from_query(cls, data: Any) -> QueueFilters:
        page = data.get("pagina", "1")
        return cls(
            queue=data.get("cola", "sin-asignar") if data.get("cola") in QUEUES else "sin-asignar",
            q=data.get("q", "").strip()[:100],
            kind=data.get("tipo", ""),
            ruc=data.get("ruc", "").strip()[:13],
            province=data.get("provincia", ""),
            oce_type=data.get("oce", ""),
            verification=data.get("verificacion", ""),
            sla=data.get("sla", ""),
            sort=data.get("orden", "antiguas") if data.get("orden") in SORTS else "antiguas",
            page=max(1, int(page)) if str(page).isdigit() else 1,
        )


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
    return Task._default_manager.filter(flow_task=RepresentanteFlow.review)


def _queue_base(queue: str, user: User) -> QuerySet[Task]:
    tasks = _review_tasks()
    supervisor = user.has_perm("approvals.manage_registrationprocess")
    if queue == "mias":
        return tasks.filter(status=STATUS.ASSIGNED, owner=user)
    if queue == "todas":
        return (
            tasks.filter(status__in=[STATUS.NEW, STATUS.ASSIGNED]) if supervisor else tasks.none()
        )
    if queue == "decididas":
        done = tasks.filter(status=STATUS.DONE)
        return done if supervisor else done.filter(owner=user)
    return tasks.filter(status=STATUS.NEW)


def sla_holidays(around: datetime) -> frozenset[date]:
    """The configured holidays of the year before `around` to the year after."""
    return review_holidays(years=range(around.year - 1, around.year + 2))


def sla_cutoffs(now: datetime) -> tuple[datetime, datetime]:
    """Received at or before the first: overdue; before the second: due soon (business days)."""
    days = settings.ECUAPASS_REVIEW_SLA_DAYS
    holidays = sla_holidays(now)
    return (
        sla.latest_start_with_age(now, age=timedelta(days=days), holidays=holidays),
        sla.latest_start_with_age(now, age=timedelta(days=days * 0.75), holidays=holidays),
    )


def expected_decision(*, start: datetime) -> datetime:
    """When a request that entered review at `start` should be decided (the SLA)."""
    return sla.business_deadline(
        start, business_days=settings.ECUAPASS_REVIEW_SLA_DAYS, holidays=sla_holidays(start)
    )


def _filtered(tasks: QuerySet[Task], filters: QueueFilters, now: datetime) -> QuerySet[Task]:
    if filters.q:
        tasks = tasks.filter(_search(filters.q))
    if filters.kind:
        tasks = tasks.filter(**{f"{REQUEST}__kind": filters.kind})
    if filters.ruc:
        tasks = tasks.filter(**{f"{REQUEST}__ruc": filters.ruc})
    if filters.province:
        tasks = tasks.filter(**{f"{REQUEST}__province_id": filters.province})
    if filters.oce_type.isdigit():
        tasks = tasks.filter(
            Exists(
                OceRow.objects.filter(
                    request_id=OuterRef(f"{REQUEST}__pk"), oce_type_id=int(filters.oce_type)
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
    if q.isdigit():
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
    )


def review_task(*, task_pk: int) -> Task | None:
    return (
        _review_tasks().select_related("owner", f"{REQUEST}__province").filter(pk=task_pk).first()
    )


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


# --- What the applicant changed ----------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class Answered:
    """What sent the request back to the applicant: an observation or a failed verification."""

    status: str
    text: str
    items: list[str]
    reasons: list[str]
    by: str
    at: datetime | None


@dataclass(frozen=True)
class RequestChanges:
    """The applicant's latest version against the one before it, for the reviewer."""

    number: int
    since: int
    fields: list[FieldChange]
    certificates_added: list[dict[str, Any]]
    certificates_removed: list[dict[str, Any]]
    oces_added: list[str]
    oces_removed: list[str]
    versions: list[RequestVersion]
    answered: Answered | None

    @property
    def unchanged(self) -> bool:
        return not (
            self.fields
            or self.certificates_added
            or self.certificates_removed
            or self.oces_added
            or self.oces_removed
        )


def _shown(key: str, value: Any) -> str:
    text = "" if value is None else str(value)
    # A signature is told apart by its SHA-256; the first characters are enough to see it changed.
    return f"{text[:16]}…" if key == "firma_reto" and text else text


def _oce_label(row: dict[str, Any]) -> str:
    end = date.fromisoformat(row["end_date"]).strftime("%d/%m/%Y")
    return (
        f"{row['code']} {row['oce_type']} — inicio {row['start_month']}/{row['start_year']}, "
        f"fin {end}"
    )


def _answered(data: dict[str, Any] | None) -> Answered | None:
    if not data:
        return None
    at = data.get("at") or ""
    return Answered(
        status=str(RequestStatus(data["status"]).label)
        if data.get("status") in RequestStatus.values
        else str(data.get("status", "")),
        text=data.get("observation", ""),
        items=[
            registration_services.correction_item_label(str(i))
            for i in data.get("observed_items", [])
        ],
        reasons=list(data.get("reasons", [])),
        by=data.get("by", ""),
        at=datetime.fromisoformat(at) if at else None,
    )


def request_changes(*, request: RegistrationRequest) -> RequestChanges | None:
    """What the applicant changed in the latest correction; None if never corrected.

    One query, whatever the number of versions, fields, files or OCE rows.
    """
    versions = list(RequestVersion.objects.filter(request=request).order_by("number"))
    if len(versions) < 2:
        return None
    before, after = versions[-2].data, versions[-1].data
    fields = [
        FieldChange(label, _shown(key, before.get(key)), _shown(key, after.get(key)))
        for key, label in SNAPSHOT_FIELDS
        if before.get(key) != after.get(key)
    ]
    old_files = {f["sha256"]: f for f in before.get("certificados", [])}
    new_files = {f["sha256"]: f for f in after.get("certificados", [])}
    old_oces = {_oce_label(row) for row in before.get("oces", [])}
    new_oces = {_oce_label(row) for row in after.get("oces", [])}
    return RequestChanges(
        number=versions[-1].number,
        since=versions[-2].number,
        fields=fields,
        certificates_added=[f for sha, f in new_files.items() if sha not in old_files],
        certificates_removed=[f for sha, f in old_files.items() if sha not in new_files],
        oces_added=sorted(new_oces - old_oces),
        oces_removed=sorted(old_oces - new_oces),
        versions=versions,
        answered=_answered(after.get("answering")),
    )


def rejection_reasons() -> QuerySet[RejectionReason]:
    return RejectionReason.objects.filter(active=True)


def reviewers() -> QuerySet[User]:
    return (
        User.objects.filter(
            Q(groups__permissions__codename="review_registration")
            | Q(user_permissions__codename="review_registration"),
            is_active=True,
        )
        .distinct()
        .order_by("username")
    )


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


# --- Supervisor dashboard -----------------------------------------------------------

DECISION_STATUSES = (RequestStatus.COMPANY_APPROVED, RequestStatus.OBSERVED, RequestStatus.REJECTED)
AGEING_BUCKETS = (("< 1 día hábil", 1), ("1–2 días hábiles", 2), ("2–5 días hábiles", 5))


@dataclass
class Dashboard:
    by_state: list[tuple[str, int]]
    ageing: list[tuple[str, int]]
    overdue: int
    days: list[str]
    decisions: dict[str, list[int]]


def _ageing(now: datetime) -> tuple[list[tuple[str, int]], int]:
    """Open review tasks by business age, and how many are overdue: one query, in SQL."""
    aggregates: dict[str, Any] = {}
    newer_than: datetime | None = None
    for index, (_label, limit) in enumerate(AGEING_BUCKETS):
        cutoff = sla.latest_start_with_age(
            now, age=timedelta(days=limit), holidays=sla_holidays(now)
        )
        condition = Q(created__gt=cutoff)
        if newer_than is not None:
            condition &= Q(created__lte=newer_than)
        aggregates[f"bucket{index}"] = Count("pk", filter=condition)
        newer_than = cutoff
    aggregates["older"] = Count("pk", filter=Q(created__lte=newer_than))
    aggregates["overdue"] = Count("pk", filter=Q(created__lte=sla_cutoffs(now)[0]))
    counts = (
        _review_tasks().filter(status__in=[STATUS.NEW, STATUS.ASSIGNED]).aggregate(**aggregates)
    )
    ageing = [(label, counts[f"bucket{i}"]) for i, (label, _) in enumerate(AGEING_BUCKETS)]
    ageing.append(("> 5 días hábiles", counts["older"]))
    return ageing, counts["overdue"]


def dashboard(*, now: datetime | None = None, days: int = 14) -> Dashboard:
    now = now or timezone.now()
    labels = dict(RequestStatus.choices)
    by_state = [
        (str(labels.get(row["status"], row["status"])), row["n"])
        for row in RegistrationRequest.objects.values("status")
        .annotate(n=Count("pk"))
        .order_by("status")
    ]
    ageing, overdue = _ageing(now)
    since = (now - timedelta(days=days - 1)).date()
    day_list = [since + timedelta(days=i) for i in range(days)]
    decided = (
        RequestEvent.objects.filter(
            to_status__in=DECISION_STATUSES, created__date__gte=since, actor__isnull=False
        )
        .exclude(from_status__in=DECISION_STATUSES)
        .annotate(day=TruncDate("created", tzinfo=timezone.get_current_timezone()))
        .values("actor_label", "day")
        .annotate(n=Count("pk"))
    )
    per_reviewer: dict[str, dict[date, int]] = {}
    for row in decided:
        per_reviewer.setdefault(row["actor_label"], {})[row["day"]] = row["n"]
    return Dashboard(
        by_state=by_state,
        ageing=ageing,
        overdue=overdue,
        days=[d.strftime("%d/%m") for d in day_list],
        decisions={
            reviewer: [counts.get(d, 0) for d in day_list]
            for reviewer, counts in sorted(per_reviewer.items())
        },
    )


def audit_events(*, since: date | None = None, until: date | None = None) -> Iterator[RequestEvent]:
    events = RequestEvent.objects.select_related("request").order_by("created", "pk")
    if since:
        events = events.filter(created__date__gte=since)
    if until:
        events = events.filter(created__date__lte=until)
    return events.iterator(chunk_size=2000)


def previous_reviewer(*, request_id: int) -> User | None:
    """The reviewer who observed this request, while still an active reviewer.

    A corrected request goes back to them; if they left or lost the role it
    waits in the shared queue.
    """
    request = RegistrationRequest.objects.select_related("decided_by").get(pk=request_id)
    reviewer = request.decided_by
    if reviewer is None or not reviewer.is_active:
        return None
    if not reviewer.has_perm("approvals.review_registration"):
        return None
    if reviewer.pk == request.user_id or (reviewer.cedula and reviewer.cedula == request.cedula):
        return None
    return reviewer


@dataclass(frozen=True)
class StaffMember:
    pk: int
    username: str
    name: str
    roles: str
    has_device: bool
    last_login: datetime | None


def staff_members() -> list[StaffMember]:
    """SENAE reviewers and supervisors, with whether they have an authenticator."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    users = (
        User.objects.filter(is_active=True, groups__name__in=STAFF_GROUPS)
        .annotate(has_device=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)))
        .prefetch_related("groups")
        .distinct()
        .order_by("username")
    )
    return [
        StaffMember(
            pk=u.pk,
            username=u.username,
            name=u.get_full_name(),
            roles=", ".join(sorted(g.name for g in u.groups.all() if g.name in STAFF_GROUPS)),
            has_device=u.has_device,
            last_login=u.last_login,
        )
        for u in users
    ]


STAFF_GROUPS = ("SENAE revisor", "SENAE supervisor")
