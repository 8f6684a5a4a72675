import re
from datetime import date

import pytest

from services.enrollment.domain import (
    ContributionSource,
    EnrollmentKind,
    EnrollResident,
    HardshipGroup,
    LinkRelative,
    MutualAidPayment,
    Relation,
    Scheme,
)
from services.enrollment.domain.errors import (
    CoverageOverlap,
    InvalidAmount,
    MutualAidPayerNotRelative,
    PaymentOutsideWindow,
    PolicyNotConfigured,
    PremiumAmountMismatch,
)
from services.enrollment.domain.events import ContributionRecorded, CoverageStarted
from services.enrollment.tests.unit.builders import PREMIUM, next_id, person, policy, resident_year


def enroll(someone, year=2025, paid_on=date(2024, 11, 20), cash=PREMIUM, mutual_aid=None, book=None):
    command = EnrollResident(
        command_id=next_id(), psn_no=someone.state.psn_no, coverage_year=year, paid_on=paid_on,
        cash_amount=cash, mutual_aid=mutual_aid,
    )
    return someone.handle(command, book or policy())


def test_a_premium_paid_in_the_centralized_period_covers_the_whole_next_year_without_waiting():
    someone = person()
    *paid, started = enroll(someone, 2025, paid_on=date(2024, 12, 31))
    assert isinstance(started, CoverageStarted)
    period = started.period
    assert (period.scheme, period.starts_on, period.ends_on) == (Scheme.RESIDENT, date(2025, 1, 1), date(2025, 12, 31))
    assert period.kind is EnrollmentKind.CENTRALIZED and period.waiting_until is None
    assert [(e.contribution.source, e.contribution.amount) for e in paid] == [(ContributionSource.PERSONAL, 32_000)]


def test_the_policy_of_the_city_applies_to_its_districts():
    someone = person()
    enroll(someone, book=policy())
    assert someone.state.coverage[0].region == "140105"


def test_a_minimum_income_household_pays_40_yuan_and_the_medical_assistance_fund_280():
    someone = person(hardship_group=HardshipGroup.MINIMUM_INCOME)
    events = enroll(someone, cash=4_000)
    paid = {e.contribution.source: e.contribution.amount for e in events if isinstance(e, ContributionRecorded)}
    assert paid == {ContributionSource.PERSONAL: 4_000, ContributionSource.MEDICAL_ASSISTANCE: 28_000}


def test_a_person_in_extreme_hardship_is_enrolled_with_nothing_to_pay():
    someone = person(hardship_group=HardshipGroup.EXTREME_HARDSHIP)
    events = enroll(someone, cash=0)
    assert [e.contribution.source for e in events if isinstance(e, ContributionRecorded)] == [ContributionSource.MEDICAL_ASSISTANCE]


def test_paying_anything_but_the_personal_part_is_refused_with_the_amount_due():
    someone = person(hardship_group=HardshipGroup.RETURNED_TO_POVERTY)
    with pytest.raises(PremiumAmountMismatch, match=re.escape("32.00 yuan after a 288.00-yuan subsidy")) as refused:
        enroll(someone, cash=PREMIUM)
    assert refused.value.reason_code == "PREMIUM_AMOUNT_MISMATCH"
    assert someone.state.coverage == ()


def test_a_negative_payment_is_refused():
    with pytest.raises(InvalidAmount):
        enroll(person(), cash=-1)


def test_a_relatives_personal_account_can_pay_the_premium_as_mutual_aid():
    someone = person()
    someone.handle(LinkRelative(command_id=next_id(), psn_no=someone.state.psn_no, relative_psn_no="P-SON",
                                relation=Relation.CHILD), policy())
    events = enroll(someone, cash=12_000, mutual_aid=MutualAidPayment("P-SON", 20_000, "wallet-pay-9"))
    aid = next(e.contribution for e in events
               if isinstance(e, ContributionRecorded) and e.contribution.source is ContributionSource.MUTUAL_AID)
    assert (aid.amount, aid.payer_psn_no, aid.reference) == (20_000, "P-SON", "wallet-pay-9")


def test_mutual_aid_from_someone_who_is_not_a_linked_relative_is_refused():
    with pytest.raises(MutualAidPayerNotRelative):
        enroll(person(), cash=0, mutual_aid=MutualAidPayment("P-STRANGER", PREMIUM, "wallet-pay-1"))


def test_paying_before_next_years_period_opens_is_refused():
    with pytest.raises(PaymentOutsideWindow, match="2024-09-01 to 2024-12-31") as refused:
        enroll(person(), 2025, paid_on=date(2024, 6, 30))
    assert refused.value.reason_code == "PAYMENT_OUTSIDE_WINDOW"


def test_paying_for_a_year_already_over_is_refused():
    with pytest.raises(PaymentOutsideWindow):
        enroll(person(), 2024, paid_on=date(2025, 2, 1))


def test_a_late_payment_in_the_coverage_year_enrolls_from_the_payment_day_with_a_waiting_period():
    someone = person()
    *_, started = enroll(someone, 2025, paid_on=date(2025, 3, 15))
    assert started.period.kind is EnrollmentKind.LATE
    assert (started.period.starts_on, started.period.ends_on) == (date(2025, 3, 15), date(2025, 12, 31))
    assert started.period.waiting_until == date(2025, 6, 14)


def test_a_region_that_takes_no_late_payments_refuses_them():
    book = policy(resident_year(2025, late_enrollment_allowed=False))
    with pytest.raises(PaymentOutsideWindow, match="cannot be taken"):
        enroll(person(), 2025, paid_on=date(2025, 3, 15), book=book)


def test_a_second_enrollment_for_a_covered_year_is_refused_as_an_overlap():
    someone = person()
    enroll(someone, 2025)
    with pytest.raises(CoverageOverlap, match="2025-01-01 to 2025-12-31") as refused:
        enroll(someone, 2025, paid_on=date(2024, 12, 1))
    assert refused.value.reason_code == "COVERAGE_OVERLAP"


def test_a_year_without_configured_parameters_is_refused():
    with pytest.raises(PolicyNotConfigured):
        enroll(person(), 2040, paid_on=date(2039, 11, 1))
