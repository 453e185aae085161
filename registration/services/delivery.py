"""At-least-once, at-most-once-in-practice delivery of a stored message (email or SMS).

A message row has two timestamps per channel: `claimed` (a worker took it)
and `done` (the gateway accepted it). A worker claims before sending, so a
redelivered or duplicated job finds it claimed and sends nothing; it marks it
done after sending, and gives the claim back if sending fails. A claim older
than `CLAIM_LEASE` without `done` means the worker died mid-send (the job's
hard time limit is far shorter), so the claim can be taken again and the
beat sweep re-sends it: a crash can't lose a message, and only a crash in the
instant between the gateway's answer and `done` can send one twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

# Longer than Celery's hard time limit (workflow/celery.py: 180 s).
CLAIM_LEASE = timedelta(minutes=10)


def _claimable(claimed: str, done: str) -> Q:
    stale = timezone.now() - CLAIM_LEASE
    return Q(**{f"{done}__isnull": True}) & (
        Q(**{f"{claimed}__isnull": True}) | Q(**{f"{claimed}__lt": stale})
    )


def deliver_once(
    row: QuerySet[Any], *, claimed: str, done: str, send: Callable[[], object]
) -> bool:
    """Claim the row's channel, send, mark it done; False if it was done or is being sent."""
    if not row.filter(_claimable(claimed, done)).update(**{claimed: timezone.now()}):
        return False
    try:
        send()
    except Exception:  # not sent: give the claim back for the retry or the sweep
        row.update(**{claimed: None})
        raise
    row.update(**{done: timezone.now()})
    return True


def undelivered(
    rows: QuerySet[Any], *, claimed: str, done: str, older_than: timedelta
) -> QuerySet[Any]:
    """Rows whose channel was never sent: never claimed (broker down) or claimed by a dead worker."""
    cutoff = timezone.now() - older_than
    return rows.filter(_claimable(claimed, done)).filter(
        Q(**{f"{claimed}__isnull": False}) | Q(created__lte=cutoff)
    )
