"""The review SLA on the calendar: holidays, the overdue and due-soon cutoffs, the expected date."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings

from workflow import sla
from workflow.calendar import review_holidays


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
