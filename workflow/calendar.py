"""Which days are holidays for the review SLA: Ecuador's national holidays, plus corrections.

The national holidays come from the `holidays` library (Ecuador's calendar,
including the law that moves a holiday to the nearest Monday or Friday).
When a holiday moves, the library lists both the original day and the
"(observed)" one; in Ecuador the original day becomes a working day, so only
the observed one is kept. Decrees that add or cancel a day are configured:
`ECUAPASS_EXTRA_HOLIDAYS` adds dates, `ECUAPASS_WORKING_DAYS` removes them.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays
from django.conf import settings

_OBSERVED = " (observed)"


@lru_cache(maxsize=32)
def _national(country: str, year: int) -> frozenset[date]:
    calendar = holidays.country_holidays(country, years=year, language="en_US")
    moved = {
        name.removesuffix(_OBSERVED)
        for day in calendar
        for name in calendar.get_list(day)
        if name.endswith(_OBSERVED)
    }
    kept = set()
    for day in calendar:
        names = calendar.get_list(day)
        if all(name in moved for name in names):
            continue  # the original day of a holiday that moved: a working day
        kept.add(day)
    return frozenset(kept)


def review_holidays(*, years: range) -> frozenset[date]:
    """The non-working weekdays of these years, as configured."""
    country = settings.ECUAPASS_HOLIDAY_COUNTRY
    days: set[date] = set()
    if country:
        for year in years:
            days |= _national(country, year)
    days |= set(settings.ECUAPASS_EXTRA_HOLIDAYS)
    days -= set(settings.ECUAPASS_WORKING_DAYS)
    return frozenset(days)
