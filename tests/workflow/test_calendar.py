"""The holidays the review SLA skips: Ecuador's calendar, moved holidays, decrees."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from approvals import selectors
from workflow.calendar import review_holidays

ECUADOR = ZoneInfo("America/Guayaquil")


def test_national_holidays_are_skipped(settings: Any) -> None:
    days = review_holidays(years=range(2026, 2028))
    assert date(2026, 12, 25) in days  # Navidad
    assert date(2026, 11, 2) in days and date(2026, 11, 3) in days  # Difuntos, Cuenca
    assert date(2026, 11, 30) not in days  # an ordinary Monday


def test_a_moved_holiday_leaves_its_original_day_a_working_day() -> None:
    days = review_holidays(years=range(2027, 2028))
    # 10 de Agosto 2027 falls on a Tuesday; the law moves it to Monday the 9th.
    assert date(2027, 8, 9) in days
    assert date(2027, 8, 10) not in days


def test_decrees_add_and_remove_days(settings: Any) -> None:
    settings.ECUAPASS_EXTRA_HOLIDAYS = (date(2026, 12, 31),)
    settings.ECUAPASS_WORKING_DAYS = (date(2026, 12, 25),)
    days = review_holidays(years=range(2026, 2027))
    assert date(2026, 12, 31) in days and date(2026, 12, 25) not in days
    settings.ECUAPASS_HOLIDAY_COUNTRY = ""
    assert review_holidays(years=range(2026, 2027)) == {date(2026, 12, 31)}


def test_the_expected_decision_skips_christmas(settings: Any) -> None:
    settings.ECUAPASS_REVIEW_SLA_DAYS = 2
    # Thursday 24 December 2026, 10:00, with a 2-business-day target: Friday 25 is
    # Navidad and the weekend follows, so the target is Tuesday 29 at 10:00.
    start = datetime(2026, 12, 24, 10, tzinfo=ECUADOR)
    due = selectors.expected_decision(start=start).astimezone(ECUADOR)
    assert due == datetime(2026, 12, 29, 10, tzinfo=ECUADOR)
