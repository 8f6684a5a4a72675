"""待遇等待期 from 2025 (source 001): outside the centralized period or after an interruption, at least
3 months, plus 1 month for each further year of interruption; newborns exempt."""

from datetime import date

import pytest

from services.enrollment.domain import (
    EmploymentStatus,
    EndEmployeeCoverage,
    EnrollEmployee,
    EnrollNewborn,
    EnrollResident,
    WaitingPeriodRules,
)
from services.enrollment.domain.events import CoverageStarted
from services.enrollment.tests.unit.builders import PREMIUM, next_id, person, policy


def enroll(someone, year, paid_on, book=None):
    command = EnrollResident(command_id=next_id(), psn_no=someone.state.psn_no, coverage_year=year, paid_on=paid_on, cash_amount=PREMIUM)
    return someone.handle(command, book or policy())[-1].period


def on_time(someone, year, book=None):
    return enroll(someone, year, date(year - 1, 12, 1), book)


def test_enrolling_every_year_on_time_never_waits():
    someone = person()
    assert [on_time(someone, y).waiting_until for y in (2025, 2026, 2027)] == [None, None, None]


def test_a_first_enrollment_on_time_does_not_wait():
    assert on_time(person(), 2026).waiting_until is None


def test_a_late_enrollment_waits_three_months_from_payment():
    someone = person()
    on_time(someone, 2025)
    assert enroll(someone, 2026, date(2026, 2, 10)).waiting_until == date(2026, 5, 9)


def test_a_first_enrollment_outside_the_period_waits_three_months():
    assert enroll(person(), 2025, date(2025, 8, 20)).waiting_until == date(2025, 11, 19)


@pytest.mark.parametrize(
    ("last_covered", "benefits_from"),
    [(2024, date(2026, 4, 1)), (2023, date(2026, 5, 1)), (2022, date(2026, 6, 1)), (2018, date(2026, 10, 1))],
)
def test_each_further_year_of_interruption_adds_a_month(last_covered, benefits_from):
    """Missing 2025 alone waits 3 months; missing 2024–2025 waits 4; missing 2019–2025 (7 years) waits 9."""
    someone = person()
    on_time(someone, last_covered)
    assert on_time(someone, 2026).waiting_until == benefits_from - date.resolution


def test_a_late_payment_after_two_missed_years_waits_four_months():
    someone = person()
    on_time(someone, 2022)
    assert enroll(someone, 2025, date(2025, 3, 15)).waiting_until == date(2025, 7, 14)


def test_an_interruption_shorter_than_a_year_still_waits_three_months():
    someone = person()
    psn_no = someone.state.psn_no
    someone.handle(EnrollEmployee(command_id=next_id(), psn_no=psn_no, starts_on=date(2020, 1, 1),
                                  employment_status=EmploymentStatus.EMPLOYED), policy())
    someone.handle(EndEmployeeCoverage(command_id=next_id(), psn_no=psn_no, ends_on=date(2025, 3, 31)), policy())
    assert on_time(someone, 2026).waiting_until == date(2026, 3, 31)


def test_leaving_the_employee_scheme_at_year_end_and_paying_on_time_is_no_interruption():
    someone = person()
    psn_no = someone.state.psn_no
    someone.handle(EnrollEmployee(command_id=next_id(), psn_no=psn_no, starts_on=date(2020, 1, 1),
                                  employment_status=EmploymentStatus.EMPLOYED), policy())
    someone.handle(EndEmployeeCoverage(command_id=next_id(), psn_no=psn_no, ends_on=date(2025, 12, 31)), policy())
    assert on_time(someone, 2026).waiting_until is None


def test_coverage_years_before_2025_carry_no_waiting_period():
    assert enroll(person(), 2024, date(2024, 5, 1)).waiting_until is None


def test_a_region_may_cap_the_waiting_period():
    book = policy(waiting=WaitingPeriodRules(max_months=6))
    someone = person()
    on_time(someone, 2018, book)  # then seven missed years: 9 months uncapped
    assert on_time(someone, 2026, book).waiting_until == date(2026, 6, 30)


def test_a_newborn_is_covered_from_birth_without_waiting_even_late_in_the_year():
    baby = person(born=date(2025, 11, 3), registered_on=date(2025, 11, 20))
    (started,) = baby.handle(EnrollNewborn(command_id=next_id(), psn_no=baby.state.psn_no, enrolled_on=date(2025, 11, 20)), policy())
    assert isinstance(started, CoverageStarted)
    assert started.period.starts_on == date(2025, 11, 3) and started.period.waiting_until is None
