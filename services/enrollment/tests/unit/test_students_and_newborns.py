import re
from datetime import date

import pytest

from services.enrollment.domain import (
    ContributionSource,
    EnrollmentKind,
    EnrollNewborn,
    EnrollResident,
    EnrollStudent,
    HardshipGroup,
)
from services.enrollment.domain.errors import (
    CoverageOverlap,
    InvalidStudyPeriod,
    NewbornOutsideBirthYear,
    PaymentOutsideWindow,
    PremiumAmountMismatch,
)
from services.enrollment.domain.events import ContributionRecorded, CoverageStarted
from services.enrollment.tests.unit.builders import PREMIUM, next_id, person, policy, resident_year

UNIVERSITY = "210102"  # Shenyang (Liaoning, source 004); configured through the province fallback below
ADMITTED = date(2025, 9, 1)


def student_book():
    return policy(*(resident_year(y, region="210000") for y in range(2024, 2031)))


def enroll_student(someone, paid_on=date(2025, 10, 15), years=4, cash=4 * PREMIUM, starts_on=None):
    command = EnrollStudent(
        command_id=next_id(), psn_no=someone.state.psn_no, insured_region=UNIVERSITY, admitted_on=ADMITTED,
        study_years=years, paid_on=paid_on, cash_amount=cash, coverage_starts_on=starts_on,
    )
    return someone.handle(command, student_book())


def test_a_student_pays_once_for_the_whole_study_period_and_is_covered_from_admission():
    freshman = person(born=date(2007, 3, 2))
    paid, started = enroll_student(freshman)
    assert isinstance(paid, ContributionRecorded) and isinstance(started, CoverageStarted)
    assert (paid.contribution.amount, paid.contribution.years) == (4 * PREMIUM, 4)
    period = started.period
    assert (period.starts_on, period.ends_on, period.region) == (ADMITTED, date(2029, 8, 31), UNIVERSITY)
    assert period.kind is EnrollmentKind.STUDENT and period.waiting_until is None


@pytest.mark.parametrize("paid_on", [date(2025, 10, 1), date(2025, 12, 31)])
def test_students_pay_from_october_to_december(paid_on):
    assert enroll_student(person(born=date(2007, 3, 2)), paid_on=paid_on)


@pytest.mark.parametrize("paid_on", [date(2025, 9, 30), date(2026, 1, 1)])
def test_a_student_payment_outside_october_to_december_is_refused(paid_on):
    with pytest.raises(PaymentOutsideWindow, match="2025-10-01 to 2025-12-31"):
        enroll_student(person(born=date(2007, 3, 2)), paid_on=paid_on)


def test_a_student_pays_the_personal_part_for_every_year_of_study():
    freshman = person(born=date(2007, 3, 2), hardship_group=HardshipGroup.MINIMUM_INCOME)
    with pytest.raises(PremiumAmountMismatch, match=re.escape("160.00 yuan")):
        enroll_student(freshman, cash=4_000)
    events = enroll_student(freshman, cash=4 * 4_000)
    subsidy = next(e.contribution for e in events
                   if isinstance(e, ContributionRecorded) and e.contribution.source is ContributionSource.MEDICAL_ASSISTANCE)
    assert subsidy.amount == 4 * 28_000


def test_a_student_still_covered_at_home_starts_coverage_when_the_home_year_ends():
    freshman = person(born=date(2007, 3, 2))
    freshman.handle(EnrollResident(command_id=next_id(), psn_no=freshman.state.psn_no, coverage_year=2025,
                                   paid_on=date(2024, 12, 1), cash_amount=PREMIUM), policy())
    with pytest.raises(CoverageOverlap):
        enroll_student(freshman)
    *_, started = enroll_student(freshman, starts_on=date(2026, 1, 1))
    assert started.period.starts_on == date(2026, 1, 1)


@pytest.mark.parametrize(("years", "starts_on"), [(0, None), (9, None), (4, date(2025, 8, 31))])
def test_an_impossible_study_period_is_refused(years, starts_on):
    with pytest.raises(InvalidStudyPeriod):
        enroll_student(person(born=date(2007, 3, 2)), years=years, cash=max(years, 0) * PREMIUM, starts_on=starts_on)


def test_a_newborn_is_enrolled_in_the_birth_year_without_payment_and_covered_from_birth():
    baby = person(born=date(2025, 4, 9), registered_on=date(2025, 5, 6))
    (started,) = baby.handle(EnrollNewborn(command_id=next_id(), psn_no=baby.state.psn_no, enrolled_on=date(2025, 5, 6)), policy())
    assert isinstance(started, CoverageStarted)
    assert (started.period.starts_on, started.period.ends_on) == (date(2025, 4, 9), date(2025, 12, 31))
    assert started.period.kind is EnrollmentKind.NEWBORN
    assert baby.state.contributions == ()


def test_free_newborn_enrollment_after_the_birth_year_is_refused():
    baby = person(born=date(2025, 12, 28), registered_on=date(2026, 1, 5))
    with pytest.raises(NewbornOutsideBirthYear, match="birth year 2025") as refused:
        baby.handle(EnrollNewborn(command_id=next_id(), psn_no=baby.state.psn_no, enrolled_on=date(2026, 1, 5)), policy())
    assert refused.value.reason_code == "NEWBORN_OUTSIDE_BIRTH_YEAR"
