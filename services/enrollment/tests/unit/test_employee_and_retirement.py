"""退休待遇 (source 003): deemed + actual contribution years ≥ 25 (men) / 20 (women), with ≥ 10 actual;
a shortfall may be paid up in one sum by employer and employee."""

from datetime import date
from functools import partial

import pytest

from services.enrollment.domain import (
    EmploymentStatus,
    EndEmployeeCoverage,
    EnrollEmployee,
    PayRetirementShortfall,
    PolicyBook,
    RecordDeemedContribution,
    RecordEmployeeContribution,
    Retire,
    Scheme,
    Sex,
    retirement_eligibility,
)
from services.enrollment.domain.errors import (
    AlreadyRetired,
    ContributionMonthDuplicate,
    InvalidAmount,
    InvalidPersonDetails,
    MaternityNotOffered,
    NoRetirementShortfall,
    NotInEmployeeScheme,
    RetirementContributionShortfall,
)
from services.enrollment.tests.unit.builders import HOME, next_id, person, policy


@pytest.mark.parametrize(
    ("sex", "deemed_years", "actual_years", "shortfall_months"),
    [
        (Sex.MALE, 15, 10, 0),
        (Sex.MALE, 15, 9, 12),  # 24 years in all, and one actual year short: one year covers both
        (Sex.MALE, 20, 3, 84),  # 23 in all, but 7 actual years short
        (Sex.MALE, 0, 24, 12),
        (Sex.FEMALE, 10, 10, 0),
        (Sex.FEMALE, 5, 12, 36),
        (Sex.FEMALE, 30, 0, 120),
    ],
)
def test_the_shortfall_is_what_makes_both_the_total_and_the_actual_years_enough(sex, deemed_years, actual_years, shortfall_months):
    eligibility = retirement_eligibility(sex, deemed_months=deemed_years * 12, actual_months=actual_years * 12)
    assert eligibility.shortfall_months == shortfall_months
    assert eligibility.eligible is (shortfall_months == 0)


def test_the_shortfall_reads_in_years_and_months():
    eligibility = retirement_eligibility(Sex.MALE, deemed_months=0, actual_months=24 * 12 + 5)
    assert eligibility.shortfall == (0, 7)
    assert eligibility.describe_shortfall() == "0 year(s) 7 month(s)"


def employee(sex=Sex.MALE, born=date(1965, 3, 1), deemed_months=0, contribution_months=0):
    someone = person(sex=sex, born=born, scheme=Scheme.EMPLOYEE, employment_status=EmploymentStatus.EMPLOYED)
    psn_no = someone.state.psn_no
    someone.handle(EnrollEmployee(command_id=next_id(), psn_no=psn_no, starts_on=date(2000, 1, 1),
                                  employment_status=EmploymentStatus.EMPLOYED), policy())
    if deemed_months:
        someone.handle(RecordDeemedContribution(command_id=next_id(), psn_no=psn_no, months=deemed_months), policy())
    for index in range(contribution_months):
        year, month = divmod(index, 12)
        pay(someone, 2000 + year, month + 1)
    return someone


def pay(someone, year, month):
    return someone.handle(
        RecordEmployeeContribution(command_id=next_id(), psn_no=someone.state.psn_no, year=year, month=month,
                                   employer_amount=60_000, employee_amount=20_000, paid_on=date(year, month, 15)),
        policy(),
    )


def test_each_paid_month_counts_once_towards_actual_years():
    someone = employee(contribution_months=14)
    assert someone.state.actual_contribution_months == 14
    with pytest.raises(ContributionMonthDuplicate):
        pay(someone, 2000, 3)


def test_a_man_with_enough_years_retires_with_retirement_benefits():
    someone = employee(deemed_months=15 * 12, contribution_months=10 * 12)
    someone.handle(Retire(command_id=next_id(), psn_no=someone.state.psn_no, retired_on=date(2025, 3, 1)), policy())
    view = someone.view(date(2025, 3, 1))
    assert view.retired and view.employment_status is EmploymentStatus.RETIRED and view.scheme is Scheme.EMPLOYEE


def test_retirement_short_of_years_is_refused_with_the_shortfall_to_pay():
    someone = employee(sex=Sex.FEMALE, deemed_months=5 * 12, contribution_months=12 * 12)
    with pytest.raises(RetirementContributionShortfall, match="3 year") as refused:
        someone.handle(Retire(command_id=next_id(), psn_no=someone.state.psn_no, retired_on=date(2025, 3, 1)), policy())
    assert refused.value.reason_code == "RETIREMENT_CONTRIBUTION_SHORTFALL"


def test_paying_the_shortfall_in_one_sum_makes_the_person_eligible():
    someone = employee(sex=Sex.FEMALE, deemed_months=5 * 12, contribution_months=12 * 12)
    psn_no = someone.state.psn_no
    someone.handle(PayRetirementShortfall(command_id=next_id(), psn_no=psn_no, months=36, employer_amount=2_000_000,
                                          employee_amount=800_000, paid_on=date(2025, 2, 1)), policy())
    someone.handle(Retire(command_id=next_id(), psn_no=psn_no, retired_on=date(2025, 3, 1)), policy())
    assert someone.state.retired_on == date(2025, 3, 1)


def test_paying_more_than_the_shortfall_or_with_none_is_refused():
    short = employee(sex=Sex.FEMALE, deemed_months=19 * 12, contribution_months=10 * 12)
    assert short.state.actual_contribution_months == 120
    with pytest.raises(NoRetirementShortfall):
        short.handle(PayRetirementShortfall(command_id=next_id(), psn_no=short.state.psn_no, months=1,
                                            employer_amount=1, employee_amount=1, paid_on=date(2025, 1, 1)), policy())
    shorter = employee(sex=Sex.FEMALE, deemed_months=18 * 12, contribution_months=12)
    with pytest.raises(InvalidAmount, match="9 year"):
        shorter.handle(PayRetirementShortfall(command_id=next_id(), psn_no=shorter.state.psn_no, months=120,
                                              employer_amount=1, employee_amount=1, paid_on=date(2025, 1, 1)), policy())


def test_only_a_person_in_the_employee_scheme_can_retire_once():
    resident = person()
    with pytest.raises(NotInEmployeeScheme):
        resident.handle(Retire(command_id=next_id(), psn_no=resident.state.psn_no, retired_on=date(2025, 3, 1)), policy())
    someone = employee(deemed_months=25 * 12, contribution_months=0)
    someone.handle(PayRetirementShortfall(command_id=next_id(), psn_no=someone.state.psn_no, months=120,
                                          employer_amount=1, employee_amount=1, paid_on=date(2025, 1, 1)), policy())
    someone.handle(Retire(command_id=next_id(), psn_no=someone.state.psn_no, retired_on=date(2025, 3, 1)), policy())
    with pytest.raises(AlreadyRetired):
        someone.handle(Retire(command_id=next_id(), psn_no=someone.state.psn_no, retired_on=date(2025, 4, 1)), policy())


def test_employee_coverage_is_open_ended_until_it_is_ended():
    someone = employee()
    assert someone.view(date(2030, 1, 1)).coverage_ends_on is None
    someone.handle(EndEmployeeCoverage(command_id=next_id(), psn_no=someone.state.psn_no, ends_on=date(2025, 6, 30)), policy())
    assert someone.view(date(2025, 6, 30)).active and not someone.view(date(2025, 7, 1)).active
    with pytest.raises(NotInEmployeeScheme):
        someone.handle(EndEmployeeCoverage(command_id=next_id(), psn_no=someone.state.psn_no, ends_on=date(2025, 7, 31)), policy())


def test_an_employee_enrollment_needs_an_employed_or_flexible_status():
    someone = person()
    with pytest.raises(InvalidPersonDetails):
        someone.handle(EnrollEmployee(command_id=next_id(), psn_no=someone.state.psn_no, starts_on=date(2025, 1, 1),
                                      employment_status=EmploymentStatus.RETIRED), policy())


def test_flexible_workers_join_maternity_insurance_only_where_the_region_offers_it():
    someone = person()
    enroll = partial(EnrollEmployee, psn_no=someone.state.psn_no, starts_on=date(2025, 1, 1),
                     employment_status=EmploymentStatus.FLEXIBLE, with_maternity=True)
    with pytest.raises(MaternityNotOffered):
        someone.handle(enroll(command_id=next_id()), policy())
    offering = PolicyBook(flexible_worker_maternity_regions=frozenset({HOME[:4] + "00"}))
    someone.handle(enroll(command_id=next_id()), offering)
    assert someone.view(date(2025, 2, 1)).maternity
