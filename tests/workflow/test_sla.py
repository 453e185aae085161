"""Review targets in business days (workflow.sla): pure functions, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from workflow.sla import (
    business_age,
    business_deadline,
    is_working_day,
    latest_start_with_age,
    sla_state,
    working_days_between,
)

ECUADOR = ZoneInfo("America/Guayaquil")
GALAPAGOS = ZoneInfo("Pacific/Galapagos")

# November 2026: Monday 23, Tuesday 24, ..., Friday 27, Saturday 28, Sunday 29, Monday 30.


def local(day: int, hour: int = 0, minute: int = 0, *, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=ECUADOR)


def utc_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


# --- business_deadline ------------------------------------------------------------


def test_deadline_within_the_week_keeps_the_time_of_day() -> None:
    assert business_deadline(local(23, 9, 30), business_days=2) == utc_of(local(25, 9, 30))


def test_deadline_is_returned_in_utc() -> None:
    deadline = business_deadline(local(23, 9), business_days=1)
    assert deadline.tzinfo is UTC
    # Ecuador is UTC-5 all year.
    assert deadline == datetime(2026, 11, 24, 14, 0, tzinfo=UTC)


def test_friday_afternoon_with_two_days_is_due_tuesday_afternoon() -> None:
    assert business_deadline(local(27, 17), business_days=2) == utc_of(local(1, 17, month=12))


def test_saturday_start_counts_from_monday_and_is_due_wednesday_midnight() -> None:
    assert business_deadline(local(28, 11), business_days=2) == utc_of(local(2, 0, month=12))


def test_sunday_start_counts_from_monday() -> None:
    assert business_deadline(local(29, 23, 59), business_days=2) == utc_of(local(2, 0, month=12))


def test_friday_start_with_one_day_is_due_monday_same_time() -> None:
    assert business_deadline(local(27, 8, 15), business_days=1) == utc_of(local(30, 8, 15))


def test_target_reached_at_midnight_is_the_end_of_the_last_working_day() -> None:
    # Thursday 00:00 + 2 full working days = the end of Friday, not Monday.
    assert business_deadline(local(26, 0), business_days=2) == utc_of(local(28, 0))


def test_deadline_across_two_weekends() -> None:
    # Monday 10:00 + 10 working days = Monday two weeks later, 10:00.
    assert business_deadline(local(23, 10), business_days=10) == utc_of(local(7, 10, month=12))


def test_zero_days_is_due_at_the_start() -> None:
    start = local(28, 11)
    assert business_deadline(start, business_days=0) == utc_of(start)


def test_negative_days_are_refused() -> None:
    with pytest.raises(ValueError):
        business_deadline(local(23), business_days=-1)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        business_deadline(datetime(2026, 11, 23, 9), business_days=1)
    with pytest.raises(ValueError, match="aware"):
        business_age(local(23), datetime(2026, 11, 24))


def test_utc_input_is_read_in_local_time() -> None:
    # Saturday 03:00 UTC is still Friday 22:00 in Ecuador: a working day.
    start = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
    assert business_deadline(start, business_days=1) == utc_of(local(30, 22))


def test_ecuador_offset_is_the_same_all_year() -> None:
    # No daylight saving time: January and July both run on UTC-5.
    for month, monday in ((1, 5), (7, 6)):
        start = datetime(2026, month, monday, 9, tzinfo=ECUADOR)
        assert start.utcoffset() == timedelta(hours=-5)
        assert business_deadline(start, business_days=1) == start.astimezone(UTC) + timedelta(
            days=1
        )


def test_other_ecuadorian_zone_counts_its_own_local_days() -> None:
    # Friday 23:30 in Guayaquil is Friday 22:30 in Galápagos (UTC-6).
    start = datetime(2026, 11, 28, 4, 30, tzinfo=UTC)
    assert business_deadline(start, business_days=1, tz="Pacific/Galapagos") == utc_of(
        datetime(2026, 11, 30, 22, 30, tzinfo=GALAPAGOS)
    )
    # Read in Guayaquil time the same instant is Friday 23:30.
    assert business_deadline(start, business_days=1) == utc_of(local(30, 23, 30))


def test_holidays_are_skipped() -> None:
    # Tuesday 24 is a holiday: Monday 10:00 + 2 → Thursday 10:00.
    holidays = frozenset({date(2026, 11, 24)})
    assert business_deadline(local(23, 10), business_days=2, holidays=holidays) == utc_of(
        local(26, 10)
    )


def test_start_on_a_holiday_counts_from_the_next_working_day() -> None:
    holidays = frozenset({date(2026, 11, 30)})  # a Monday
    assert business_deadline(local(28, 9), business_days=1, holidays=holidays) == utc_of(
        local(2, 0, month=12)
    )


def test_holiday_on_a_weekend_changes_nothing() -> None:
    holidays = frozenset({date(2026, 11, 28)})
    assert business_deadline(local(27, 17), business_days=2, holidays=holidays) == (
        business_deadline(local(27, 17), business_days=2)
    )


def test_is_working_day() -> None:
    assert is_working_day(date(2026, 11, 27))
    assert not is_working_day(date(2026, 11, 28))
    assert not is_working_day(date(2026, 11, 29))
    assert not is_working_day(date(2026, 11, 27), holidays=frozenset({date(2026, 11, 27)}))


# --- business_age -------------------------------------------------------------


def test_age_within_one_day() -> None:
    assert business_age(local(23, 9), local(23, 17, 30)) == timedelta(hours=8, minutes=30)


def test_age_stops_over_the_weekend() -> None:
    # Friday 17:00 → Monday 09:00: 7 h on Friday + 9 h on Monday.
    assert business_age(local(27, 17), local(30, 9)) == timedelta(hours=16)


def test_age_does_not_grow_during_the_weekend() -> None:
    assert business_age(local(27, 17), local(28, 12)) == business_age(local(27, 17), local(29, 23))


def test_age_of_a_weekend_start_begins_on_monday() -> None:
    assert business_age(local(28, 10), local(30, 6)) == timedelta(hours=6)


def test_age_skips_holidays() -> None:
    holidays = frozenset({date(2026, 11, 24)})
    assert business_age(local(23, 12), local(25, 12), holidays=holidays) == timedelta(hours=24)


def test_age_is_zero_when_now_is_before_start() -> None:
    assert business_age(local(25), local(23)) == timedelta(0)


def test_age_at_the_deadline_is_the_target() -> None:
    holidays = frozenset({date(2026, 12, 1)})
    for start in (local(23, 9), local(27, 17), local(28, 11), local(26, 0)):
        for days in (1, 2, 5):
            deadline = business_deadline(start, business_days=days, holidays=holidays)
            assert business_age(start, deadline, holidays=holidays) == timedelta(days=days)


# --- sla_state ----------------------------------------------------------------------


def test_state_on_time_before_the_warning_threshold() -> None:
    # 2-day target, 75 % warning at 36 h of working time.
    assert sla_state(local(23, 9), local(24, 20, 59), business_days=2) == "a tiempo"


def test_state_about_to_expire_from_the_warning_threshold() -> None:
    assert sla_state(local(23, 9), local(24, 21), business_days=2) == "por vencer"


def test_state_expired_at_the_deadline() -> None:
    assert sla_state(local(23, 9), local(25, 8, 59), business_days=2) == "por vencer"
    assert sla_state(local(23, 9), local(25, 9), business_days=2) == "vencida"


def test_weekend_keeps_a_friday_request_on_time() -> None:
    assert sla_state(local(27, 17), local(29, 23), business_days=2) == "a tiempo"
    assert sla_state(local(27, 17), local(1, 17, month=12), business_days=2) == "vencida"


def test_custom_warning_fraction() -> None:
    start, now = local(23, 9), local(24, 9)  # half of a 2-day target
    assert sla_state(start, now, business_days=2, warn_fraction=0.5) == "por vencer"
    assert sla_state(start, now, business_days=2, warn_fraction=0.9) == "a tiempo"


def test_holiday_keeps_a_request_on_time() -> None:
    holidays = frozenset({date(2026, 11, 24)})
    start, now = local(23, 9), local(25, 10)
    assert sla_state(start, now, business_days=2) == "vencida"
    assert sla_state(start, now, business_days=2, holidays=holidays) == "a tiempo"


@pytest.mark.parametrize(("days", "fraction"), [(0, 0.75), (2, 0), (2, 1.5)])
def test_bad_targets_are_refused(days: int, fraction: float) -> None:
    with pytest.raises(ValueError):
        sla_state(local(23), local(24), business_days=days, warn_fraction=fraction)


# --- the constant-time age agrees with counting day by day -----------------------------


def age_day_by_day(start: datetime, now: datetime, holidays: frozenset[date]) -> timedelta:
    """The rule, spelled out slowly: sum each working day's overlap with [start, now]."""
    elapsed = timedelta(0)
    day = start.astimezone(ECUADOR).date()
    end = now.astimezone(ECUADOR)
    while datetime.combine(day, datetime.min.time(), tzinfo=ECUADOR) < end:
        day_start = datetime.combine(day, datetime.min.time(), tzinfo=ECUADOR)
        day_end = day_start + timedelta(days=1)
        if is_working_day(day, holidays=holidays):
            lo, hi = max(day_start, start.astimezone(ECUADOR)), min(day_end, end)
            if hi > lo:
                elapsed += hi - lo
        day += timedelta(days=1)
    return elapsed


def test_age_matches_day_by_day_counting() -> None:
    holidays = frozenset({date(2026, 11, 24), date(2026, 12, 25), date(2026, 12, 26)})
    starts = [local(d, h, m) for d in (22, 23, 24, 27, 28) for h, m in ((0, 0), (9, 15), (23, 59))]
    ends = [local(d, h, month=12) for d in (1, 4, 5, 7, 28) for h in (0, 13)]
    ends += [local(d, 17, 30) for d in (23, 24, 27, 29)]
    for start in starts:
        for end in ends:
            for days_off in (frozenset(), holidays):
                assert business_age(start, end, holidays=days_off) == age_day_by_day(
                    start, end, days_off
                ), (start, end, days_off)


def test_working_days_between() -> None:
    assert working_days_between(date(2026, 11, 23), date(2026, 11, 30)) == 5
    assert working_days_between(date(2026, 11, 28), date(2026, 11, 30)) == 0
    assert working_days_between(date(2026, 11, 27), date(2026, 12, 2)) == 3
    assert working_days_between(date(2026, 11, 30), date(2026, 11, 23)) == 0
    assert (
        working_days_between(
            date(2026, 11, 23), date(2027, 11, 22), holidays=frozenset({date(2026, 12, 25)})
        )
        == 52 * 5 - 1
    )


# --- latest_start_with_age: the cutoff on `created` for queries ---------------------------


def test_cutoff_counts_back_over_the_weekend() -> None:
    # Monday 09:00 minus one working day: 9 h of Monday + 15 h of Friday.
    assert latest_start_with_age(local(30, 9), age=timedelta(days=1)) == utc_of(local(27, 9))


def test_cutoff_from_a_weekend_moment_ends_on_a_day_boundary() -> None:
    # Saturday noon minus two working days: all of Friday and Thursday.
    assert latest_start_with_age(local(28, 12), age=timedelta(days=2)) == utc_of(local(26, 0))


def test_cutoff_skips_holidays() -> None:
    holidays = frozenset({date(2026, 11, 26)})
    assert latest_start_with_age(local(27, 12), age=timedelta(days=1), holidays=holidays) == utc_of(
        local(25, 12)
    )


def test_cutoff_of_no_age_is_now() -> None:
    assert latest_start_with_age(local(28, 12), age=timedelta(0)) == utc_of(local(28, 12))


def test_cutoff_agrees_with_the_sla_state() -> None:
    holidays = frozenset({date(2026, 11, 24)})
    target = timedelta(days=2)
    for now in (local(25, 10), local(28, 12), local(30, 0), local(1, 8, 30, month=12)):
        overdue = latest_start_with_age(now, age=target, holidays=holidays)
        due_soon = latest_start_with_age(now, age=target * 0.75, holidays=holidays)
        assert business_age(overdue, now, holidays=holidays) == target
        for minutes_back in range(0, 12 * 24 * 60, 37):
            start = now - timedelta(minutes=minutes_back)
            state = sla_state(start, now, business_days=2, holidays=holidays)
            expected = (
                "vencida" if start <= overdue else "por vencer" if start <= due_soon else "a tiempo"
            )
            assert state == expected, (now, start)
