"""连续参保 and 零报销 incentives (source 001): settlement raises the 大病保险 cap by 3,000 yuan for each
continuous year after 4, and by 3,000 yuan after a year without reimbursement followed by normal enrollment.
Enrollment supplies the two counts."""

from datetime import date

import pytest

from services.enrollment.domain import (
    ApplyForTransfer,
    CancelReimbursement,
    CompleteTransfer,
    EnrollNewborn,
    EnrollResident,
    RecordReimbursement,
    RequestTransfer,
)
from services.enrollment.domain.errors import ReimbursementAlreadyRecorded, ReimbursementNotFound
from services.enrollment.tests.unit.builders import PREMIUM, next_id, person, policy


def enrolled_for(years, born=date(1990, 5, 17)):
    someone = person(born=born)
    for year in years:
        someone.handle(EnrollResident(command_id=next_id(), psn_no=someone.state.psn_no, coverage_year=year, paid_on=date(year - 1, 11, 1), cash_amount=PREMIUM), policy())
    return someone


def claim(someone, claim_id, settled_on, fund_paid=50_000):
    someone.handle(RecordReimbursement(command_id=next_id(), psn_no=someone.state.psn_no, claim_id=claim_id, settled_on=settled_on, fund_paid=fund_paid), policy())


def test_five_unbroken_years_count_five_continuous_years_in_the_fifth():
    someone = enrolled_for(range(2025, 2030))
    view = someone.view(date(2029, 6, 1))
    assert view.continuous_years == 5
    assert view.continuous_years - 4 == 1  # settlement: one 3,000-yuan step in 2029


def test_an_interruption_starts_the_count_again():
    someone = enrolled_for([2022, 2023, 2025, 2026])
    assert someone.view(date(2026, 3, 1)).continuous_years == 2


def test_nobody_uncovered_on_the_day_has_continuous_years():
    assert enrolled_for([2025]).view(date(2026, 3, 1)).continuous_years == 0


def test_a_newborn_year_starts_the_count():
    baby = person(born=date(2025, 4, 9), registered_on=date(2025, 5, 6))
    baby.handle(EnrollNewborn(command_id=next_id(), psn_no=baby.state.psn_no, enrolled_on=date(2025, 5, 6)), policy())
    baby.handle(EnrollResident(command_id=next_id(), psn_no=baby.state.psn_no, coverage_year=2026, paid_on=date(2025, 12, 1), cash_amount=PREMIUM), policy())
    assert baby.view(date(2026, 2, 1)).continuous_years == 2


def test_every_year_without_reimbursement_followed_by_normal_enrollment_is_a_no_claim_year():
    someone = enrolled_for(range(2025, 2029))
    claim(someone, "C-1", date(2026, 7, 3))
    assert someone.view(date(2028, 1, 10)).no_claim_years == 2  # 2025 and 2027; 2026 had a claim


def test_the_current_year_is_not_yet_a_no_claim_year():
    someone = enrolled_for([2025, 2026])
    assert someone.view(date(2025, 12, 31)).no_claim_years == 0
    assert someone.view(date(2026, 1, 1)).no_claim_years == 1


def test_a_claim_that_paid_nothing_from_the_funds_keeps_the_year_claim_free():
    someone = enrolled_for([2025, 2026])
    claim(someone, "C-0", date(2025, 3, 3), fund_paid=0)
    assert someone.view(date(2026, 1, 1)).no_claim_years == 1


def test_a_cancelled_reimbursement_gives_the_year_back():
    someone = enrolled_for([2025, 2026])
    claim(someone, "C-1", date(2025, 3, 3))
    assert someone.view(date(2026, 1, 1)).no_claim_years == 0
    someone.handle(CancelReimbursement(command_id=next_id(), psn_no=someone.state.psn_no, claim_id="C-1"), policy())
    assert someone.view(date(2026, 1, 1)).no_claim_years == 1


def test_the_same_claim_cannot_be_recorded_twice_and_an_unknown_one_cannot_be_cancelled():
    someone = enrolled_for([2025])
    claim(someone, "C-1", date(2025, 3, 3))
    with pytest.raises(ReimbursementAlreadyRecorded):
        claim(someone, "C-1", date(2025, 3, 3))
    with pytest.raises(ReimbursementNotFound):
        someone.handle(CancelReimbursement(command_id=next_id(), psn_no=someone.state.psn_no, claim_id="C-9"), policy())


def test_a_year_before_an_interruption_is_no_longer_counted():
    someone = enrolled_for([2023, 2025, 2026])
    assert someone.view(date(2026, 5, 1)).no_claim_years == 1


def test_a_transfer_between_regions_keeps_the_years_continuous():
    someone = enrolled_for(range(2023, 2027))
    psn_no = someone.state.psn_no
    someone.handle(ApplyForTransfer(command_id=next_id(), psn_no=psn_no, transfer_id="T1", to_region="430102", applied_on=date(2025, 5, 1)), policy())
    someone.handle(RequestTransfer(command_id=next_id(), psn_no=psn_no, transfer_id="T1", requested_on=date(2025, 5, 3)), policy())
    someone.handle(CompleteTransfer(command_id=next_id(), psn_no=psn_no, transfer_id="T1", effective_on=date(2025, 6, 1)), policy())
    assert someone.view(date(2026, 5, 1)).continuous_years == 4
