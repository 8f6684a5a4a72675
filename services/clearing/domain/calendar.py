"""Cycle periods on the China calendar.

A cycle's period is nominal: it decides when the cycle is due to close and which settlement records
reconcile against it. Which cycle an obligation lands in is decided by arrival, not by this period
(see `cycle.py`). China has kept UTC+8 without daylight saving since 1991, so a fixed offset is exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from libs.china_time import china_date
from services.clearing.domain.errors import InvalidCalendar, NaiveTime


def check_aware(moment: datetime, what: str = "time") -> None:
    """Refuse a naive datetime: without an offset the business day of a cycle is a guess."""
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise NaiveTime(f"The {what} must carry a time zone (for example 2025-03-01T09:30:00+08:00).")


def business_date(moment: datetime) -> date:
    """The China calendar day of `moment`."""
    check_aware(moment)
    return china_date(moment)


@dataclass(frozen=True)
class Period:
    """Days from `start` (included) to `end` (excluded)."""

    start: date
    end: date


@dataclass(frozen=True)
class CycleCalendar:
    """How long a cycle runs: `length` calendar months (default 1) or `length` days.

    Month periods are aligned on January (3 months gives quarters); day periods on Mondays when
    `length` is a multiple of 7.
    """

    unit: Literal["month", "day"] = "month"
    length: int = 1

    def __post_init__(self) -> None:
        if self.unit not in ("month", "day"):
            raise InvalidCalendar(f"A cycle runs in months or days, not {self.unit!r}.")
        if type(self.length) is not int or self.length < 1:
            raise InvalidCalendar(f"A cycle lasts at least one {self.unit}, not {self.length!r}.")

    def period_containing(self, day: date) -> Period:
        if self.unit == "month":
            index = (day.year * 12 + day.month - 1) // self.length * self.length
            return Period(_month_start(index), _month_start(index + self.length))
        first = (day.toordinal() - 1) // self.length * self.length + 1
        return Period(date.fromordinal(first), date.fromordinal(first + self.length))

    def period_after(self, previous: Period, today: date) -> Period:
        """The next cycle's period: the one after `previous`, or today's if closing came late.

        It never overlaps `previous`, even when the calendar changed between the two cycles.
        """
        start = max(previous.end, self.period_containing(today).start)
        return Period(start, self.period_containing(start).end)


MONTHLY = CycleCalendar()


def _month_start(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)
