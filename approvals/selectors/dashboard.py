"""The supervisor dashboard: requests by state, open reviews by business age, decisions per day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from viewflow.workflow.status import STATUS

from approvals.selectors.queues import _review_tasks
from registration.kinds import COMPANY_DECIDED_KINDS
from registration.models import RegistrationRequest, RequestEvent, RequestKind, RequestStatus
from workflow import sla
from workflow.deadlines import sla_cutoffs, sla_holidays

DECISION_STATUSES = (RequestStatus.COMPANY_APPROVED, RequestStatus.OBSERVED, RequestStatus.REJECTED)
AGEING_BUCKETS = (("< 1 día hábil", 1), ("1–2 días hábiles", 2), ("2–5 días hábiles", 5))


@dataclass
class Dashboard:
    by_state: list[tuple[str, int]]
    # Employees' requests by state (their company decides them; SENAE only watches).
    company_decided_by_state: list[tuple[str, int]]
    by_kind: list[tuple[str, int]]  # every kind of Paso 2, none left out
    ageing: list[tuple[str, int]]
    overdue: int
    days: list[str]
    decisions: dict[str, list[int]]


def _ageing(now: datetime) -> tuple[list[tuple[str, int]], int]:
    """Open review tasks by business age, and how many are overdue: one query, in SQL."""
    aggregates: dict[str, Any] = {}
    newer_than: datetime | None = None
    holidays = sla_holidays(now)
    for index, (_label, limit) in enumerate(AGEING_BUCKETS):
        cutoff = sla.latest_start_with_age(now, age=timedelta(days=limit), holidays=holidays)
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
    company_decided_by_state = [
        (str(labels.get(row["status"], row["status"])), row["n"])
        for row in RegistrationRequest.objects.filter(kind__in=COMPANY_DECIDED_KINDS)
        .values("status")
        .annotate(n=Count("pk"))
        .order_by("status")
    ]
    kind_counts = dict(
        RegistrationRequest.objects.values_list("kind").annotate(n=Count("pk")).order_by()
    )
    by_kind = [(str(label), kind_counts.get(value, 0)) for value, label in RequestKind.choices]
    ageing, overdue = _ageing(now)
    since = (now - timedelta(days=days - 1)).date()
    day_list = [since + timedelta(days=i) for i in range(days)]
    decided = (
        RequestEvent.objects.filter(
            to_status__in=DECISION_STATUSES, created__date__gte=since, actor__isnull=False
        )
        .exclude(from_status__in=DECISION_STATUSES)
        .exclude(request__kind__in=COMPANY_DECIDED_KINDS)  # a company's, not a reviewer's
        .annotate(day=TruncDate("created", tzinfo=timezone.get_current_timezone()))
        .values("actor_label", "day")
        .annotate(n=Count("pk"))
    )
    per_reviewer: dict[str, dict[date, int]] = {}
    for row in decided:
        per_reviewer.setdefault(row["actor_label"], {})[row["day"]] = row["n"]
    return Dashboard(
        by_state=by_state,
        company_decided_by_state=company_decided_by_state,
        by_kind=by_kind,
        ageing=ageing,
        overdue=overdue,
        days=[d.strftime("%d/%m") for d in day_list],
        decisions={
            reviewer: [counts.get(d, 0) for d in day_list]
            for reviewer, counts in sorted(per_reviewer.items())
        },
    )
