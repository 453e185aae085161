"""Review targets in business days: deadlines, working age and the SLA state.

Pure functions on aware datetimes; no database, no settings. The rule, in one
place:

- Time is counted in local wall-clock time of `tz` (America/Guayaquil, UTC-5
  all year: Ecuador has no daylight saving time).
- A working day is a local calendar day, Monday to Friday, that is not in
  `holidays`. Each working day counts as 24 hours of working time, from
  00:00 to 24:00; Saturdays, Sundays and holidays count nothing.
- A request received on a non-working day starts counting at 00:00 of the
  next working day.
- The deadline for `n` business days is the earliest moment at which `n × 24`
  hours of working time have elapsed. It keeps the time of day of the start:
  received Friday 17:00 with a 2-day target → due Tuesday 17:00; received
  Saturday (or Sunday) → counts from Monday 00:00 → due Wednesday 00:00, that
  is, at the end of Tuesday. A target reached exactly at midnight is due at
  that midnight, the end of the last working day, even when the next day is
  not a working day (Thursday 00:00 + 2 → Saturday 00:00, the end of Friday).

National holidays are not hard-coded: Ecuador moves several of them by decree
each year, so the caller passes them (`holidays`) from configuration.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

LOCAL_TZ = "America/Guayaquil"

SlaState = Literal["a tiempo", "por vencer", "vencida"]

_DAY = timedelta(days=1)


def is_working_day(day: date, *, holidays: frozenset[date] = frozenset()) -> bool:
    """Monday to Friday and not a configured holiday."""
    return day.weekday() < 5 and day not in holidays


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("Use aware datetimes (timezone.now()), not naive ones.")
    return moment.astimezone(zone)


def _next_midnight(moment: datetime) -> datetime:
    """00:00 of the next local calendar day (same tzinfo, wall-clock arithmetic)."""
    return datetime.combine(moment.date() + _DAY, time(0), tzinfo=moment.tzinfo)


def business_deadline(
    start: datetime,
    *,
    business_days: int,
    tz: str = LOCAL_TZ,
    holidays: frozenset[date] = frozenset(),
) -> datetime:
    """The moment `business_days` working days after `start`, in UTC (rule in the module doc).

    Zero business days is due at `start` itself.
    """
    if business_days < 0:
        raise ValueError("business_days must be zero or more.")
    zone = ZoneInfo(tz)
    cursor = _local(start, zone)
    remaining = business_days * _DAY
    if not remaining:
        return cursor.astimezone(UTC)
    # At most business_days working days plus the non-working days between them.
    while True:
        day_end = _next_midnight(cursor)
        if is_working_day(cursor.date(), holidays=holidays):
            available = day_end - cursor  # wall-clock: same tzinfo
            if remaining <= available:
                return (cursor + remaining).astimezone(UTC)
            remaining -= available
        cursor = day_end


def working_days_between(
    first: date, last: date, *, holidays: frozenset[date] = frozenset()
) -> int:
    """Working days in [first, last): weekday arithmetic, no day-by-day loop."""
    if last <= first:
        return 0
    weeks, extra = divmod((last - first).days, 7)
    weekdays = weeks * 5 + sum(1 for i in range(extra) if (first.weekday() + i) % 7 < 5)
    return weekdays - sum(1 for h in holidays if first <= h < last and h.weekday() < 5)


def business_age(
    start: datetime,
    now: datetime,
    *,
    tz: str = LOCAL_TZ,
    holidays: frozenset[date] = frozenset(),
) -> timedelta:
    """Working time elapsed from `start` to `now`: weekends and holidays count nothing.

    Zero when `now` is not after `start`. `business_age(s, business_deadline(s,
    business_days=n)) == timedelta(days=n)`. Constant time in the age (queues and
    the dashboard call it for every open request).
    """
    zone = ZoneInfo(tz)
    begin = _local(start, zone)
    end = _local(now, zone)
    if end <= begin:
        return timedelta(0)
    if begin.date() == end.date():
        return end - begin if is_working_day(begin.date(), holidays=holidays) else timedelta(0)
    # Wall-clock differences (same tzinfo), like business_deadline: each day is 24 h.
    first_day = (
        _next_midnight(begin) - begin
        if is_working_day(begin.date(), holidays=holidays)
        else timedelta(0)
    )
    last_midnight = datetime.combine(end.date(), time(0), tzinfo=end.tzinfo)
    last_day = (
        end - last_midnight if is_working_day(end.date(), holidays=holidays) else timedelta(0)
    )
    full_days = working_days_between(begin.date() + _DAY, end.date(), holidays=holidays)
    return first_day + full_days * _DAY + last_day


def latest_start_with_age(
    now: datetime,
    *,
    age: timedelta,
    tz: str = LOCAL_TZ,
    holidays: frozenset[date] = frozenset(),
) -> datetime:
    """The latest start whose working age at `now` is at least `age`, in UTC.

    The inverse of `business_age` for queries: requests received at or before
    this moment have used `age` of working time, so "vencida" is
    `created <= latest_start_with_age(now, age=timedelta(days=business_days))`,
    and any ageing bucket is a range on `created`, counted in SQL.
    """
    zone = ZoneInfo(tz)
    cursor = _local(now, zone)
    remaining = age
    if remaining <= timedelta(0):
        return cursor.astimezone(UTC)
    # Walk back through whole local days: at most the working days in `age` plus the gaps.
    while True:
        day_start = datetime.combine(cursor.date(), time(0), tzinfo=cursor.tzinfo)
        if day_start == cursor:  # at midnight: the day to consume is the previous one
            day_start = datetime.combine(cursor.date() - _DAY, time(0), tzinfo=cursor.tzinfo)
        if is_working_day(day_start.date(), holidays=holidays):
            available = cursor - day_start  # wall-clock: same tzinfo
            if remaining <= available:
                return (cursor - remaining).astimezone(UTC)
            remaining -= available
        cursor = day_start


def sla_state(
    start: datetime,
    now: datetime,
    *,
    business_days: int,
    warn_fraction: float = 0.75,
    tz: str = LOCAL_TZ,
    holidays: frozenset[date] = frozenset(),
) -> SlaState:
    """Where a request stands against its target.

    "vencida" from the deadline on; "por vencer" once `warn_fraction` of the
    working time is used; "a tiempo" before that.
    """
    if business_days < 1:
        raise ValueError("business_days must be at least 1.")
    if not 0 < warn_fraction <= 1:
        raise ValueError("warn_fraction must be in (0, 1].")
    age = business_age(start, now, tz=tz, holidays=holidays)
    target = business_days * _DAY
    if age >= target:
        return "vencida"
    if age >= target * warn_fraction:
        return "por vencer"
    return "a tiempo"
