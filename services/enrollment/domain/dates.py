"""Calendar arithmetic the rules need: months (waiting periods, filings) and whole years (ages, gaps)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

ONE_DAY = timedelta(days=1)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_years(day: date, years: int) -> date:
    return add_months(day, 12 * years)


def whole_years(start: date, end: date) -> int:
    """Whole years from `start` to `end` (an age, or the full years of a gap)."""
    years = end.year - start.year
    return years - 1 if add_years(start, years) > end else years


def year_start(year: int) -> date:
    return date(year, 1, 1)


def year_end(year: int) -> date:
    return date(year, 12, 31)


def overlaps(a_start: date, a_end: date | None, b_start: date, b_end: date | None) -> bool:
    """Whether two inclusive periods share a day; an absent end means open-ended."""
    return (a_end is None or b_start <= a_end) and (b_end is None or a_start <= b_end)


def within(day: date, start: date, end: date | None) -> bool:
    return start <= day and (end is None or day <= end)
