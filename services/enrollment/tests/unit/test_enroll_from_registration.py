"""The enrollment an office's registration carries: ordinary coverage from its start date, no waiting period."""

from __future__ import annotations

from datetime import date

import pytest

from services.enrollment.domain import EmploymentStatus, EnrollFromRegistration, EnrollResident, Scheme
from services.enrollment.domain.errors import CoverageOverlap, InvalidPersonDetails
from services.enrollment.tests.unit.builders import PREMIUM, next_id, person, policy


def enroll(someone, scheme: Scheme = Scheme.RESIDENT, starts_on: date = date(2020, 1, 1), through_year: int = 2026):
    return someone.handle(EnrollFromRegistration(
        command_id=next_id(), psn_no=someone.state.psn_no, scheme=scheme, starts_on=starts_on, through_year=through_year,
    ), policy())


def test_a_registered_resident_is_covered_from_the_start_date_to_the_end_of_the_current_year_without_waiting():
    someone = person()
    enroll(someone)
    view = someone.view(date(2026, 6, 1))
    assert view.active and view.scheme is Scheme.RESIDENT
    assert (view.coverage_begins_on, view.coverage_ends_on, view.waiting_until) == (date(2020, 1, 1), date(2026, 12, 31), None)
    assert view.continuous_years == 7


def test_next_years_premium_paid_in_the_period_continues_the_chain():
    someone = person()
    enroll(someone)
    someone.handle(EnrollResident(command_id=next_id(), psn_no=someone.state.psn_no, coverage_year=2027,
                                  paid_on=date(2026, 11, 20), cash_amount=PREMIUM), policy())
    view = someone.view(date(2027, 3, 1))
    assert view.active and view.waiting_until is None and view.continuous_years == 8


def test_a_start_date_in_a_later_year_covers_that_whole_year():
    someone = person()
    enroll(someone, starts_on=date(2027, 1, 1), through_year=2026)
    assert someone.view(date(2027, 1, 1)).coverage_ends_on == date(2027, 12, 31)


def test_a_registered_employee_is_covered_until_the_coverage_is_ended():
    someone = person(scheme=Scheme.EMPLOYEE, employment_status=EmploymentStatus.EMPLOYED)
    enroll(someone, Scheme.EMPLOYEE)
    view = someone.view(date(2030, 1, 1))
    assert view.active and view.scheme is Scheme.EMPLOYEE and view.coverage_ends_on is None and not view.retired


def test_a_registered_retiree_is_retired_from_the_start_date():
    someone = person(born=date(1960, 3, 1), scheme=Scheme.EMPLOYEE, employment_status=EmploymentStatus.RETIRED)
    enroll(someone, Scheme.EMPLOYEE)
    assert someone.view(date(2026, 6, 1)).retired


def test_an_employee_registration_without_an_employment_status_is_refused():
    someone = person(scheme=Scheme.EMPLOYEE)
    with pytest.raises(InvalidPersonDetails):
        enroll(someone, Scheme.EMPLOYEE)


def test_maternity_alone_is_refused():
    with pytest.raises(InvalidPersonDetails, match="310"):
        enroll(person(), Scheme.MATERNITY)


def test_a_second_enrollment_over_the_same_days_is_refused():
    someone = person()
    enroll(someone)
    with pytest.raises(CoverageOverlap):
        enroll(someone, starts_on=date(2024, 5, 1))
