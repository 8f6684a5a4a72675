"""Cycle periods on the China calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.clearing.domain import MONTHLY, CycleCalendar, InvalidCalendar, NaiveTime, Period, business_date


def test_a_monthly_cycle_runs_from_the_first_of_the_month_to_the_first_of_the_next() -> None:
    assert MONTHLY.period_containing(date(2025, 12, 31)) == Period(date(2025, 12, 1), date(2026, 1, 1))


def test_a_quarterly_calendar_aligns_on_january() -> None:
    assert CycleCalendar("month", 3).period_containing(date(2025, 5, 20)) == Period(date(2025, 4, 1), date(2025, 7, 1))


def test_a_weekly_calendar_starts_on_monday() -> None:
    period = CycleCalendar("day", 7).period_containing(date(2025, 1, 10))
    assert period == Period(date(2025, 1, 6), date(2025, 1, 13))
    assert period.start.weekday() == 0


def test_the_business_day_is_the_china_calendar_day() -> None:
    assert business_date(datetime(2025, 1, 31, 17, 30, tzinfo=UTC)) == date(2025, 2, 1)


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(NaiveTime):
        business_date(datetime(2025, 1, 31, 17, 30))


def test_the_next_period_follows_the_previous_one() -> None:
    january = MONTHLY.period_containing(date(2025, 1, 5))
    assert MONTHLY.period_after(january, date(2025, 1, 20)) == Period(date(2025, 2, 1), date(2025, 3, 1))


def test_after_a_late_close_the_next_period_is_todays() -> None:
    january = MONTHLY.period_containing(date(2025, 1, 5))
    assert MONTHLY.period_after(january, date(2025, 3, 3)) == Period(date(2025, 3, 1), date(2025, 4, 1))


def test_a_changed_calendar_never_makes_periods_overlap() -> None:
    january = MONTHLY.period_containing(date(2025, 1, 5))
    after = CycleCalendar("day", 7).period_after(january, date(2025, 1, 20))
    assert after.start == date(2025, 2, 1) and after.end > after.start


@pytest.mark.parametrize("unit, length", [("month", 0), ("day", -1), ("week", 1)])
def test_a_calendar_without_a_positive_length_in_months_or_days_is_refused(unit: str, length: int) -> None:
    with pytest.raises(InvalidCalendar):
        CycleCalendar(unit, length)  # type: ignore[arg-type]  # units and lengths it must refuse
