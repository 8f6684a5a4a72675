"""连续参保 and 零报销 incentives (source 001): settlement raises the 大病保险 cap by 3,000 yuan for each
continuous year after 4, and by 3,000 yuan after a year without reimbursement followed by normal enrollment.
Enrollment supplies the two counts."""

from datetime import date

import orjson

from services.enrollment.domain import (
    ApplyForTransfer,
    CompleteTransfer,
    EnrollNewborn,
    EnrollResident,
    RecordFundPaymentYear,
    RequestTransfer,
)
from services.enrollment.adapters.event_codec import decode_event, encode_event
from services.enrollment.domain import InsuredPerson
from services.enrollment.domain.events import ReimbursementCancelled, ReimbursementRecorded
from services.enrollment.domain.state import Reimbursement
from services.enrollment.tests.unit.builders import VAULT, PREMIUM, next_id, person, policy


def enrolled_for(years, born=date(1990, 5, 17)):
    someone = person(born=born)
    for year in years:
        someone.handle(EnrollResident(command_id=next_id(), psn_no=someone.state.psn_no, coverage_year=year, paid_on=date(year - 1, 11, 1), cash_amount=PREMIUM), policy())
    return someone


def fund_year(someone, year, paid=True, claim_id="C-1"):
    """What the register of settled claims sends when a year's fund payments cross zero (test_fund_payments.py)."""
    return someone.handle(RecordFundPaymentYear(command_id=next_id(), psn_no=someone.state.psn_no, settlement_year=year,
                                                paid=paid, claim_id=claim_id), policy())


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
    fund_year(someone, 2026)
    assert someone.view(date(2028, 1, 10)).no_claim_years == 2  # 2025 and 2027; the funds paid in 2026


def test_the_current_year_is_not_yet_a_no_claim_year():
    someone = enrolled_for([2025, 2026])
    assert someone.view(date(2025, 12, 31)).no_claim_years == 0
    assert someone.view(date(2026, 1, 1)).no_claim_years == 1


def test_a_year_whose_fund_payments_were_all_cancelled_is_claim_free_again():
    someone = enrolled_for([2025, 2026])
    fund_year(someone, 2025)
    assert someone.view(date(2026, 1, 1)).no_claim_years == 0
    fund_year(someone, 2025, paid=False)
    assert someone.view(date(2026, 1, 1)).no_claim_years == 1


def test_a_year_already_so_records_nothing():
    someone = enrolled_for([2025])
    assert len(fund_year(someone, 2025)) == 1
    assert fund_year(someone, 2025, claim_id="C-2") == ()
    assert fund_year(someone, 2024, paid=False) == ()


def test_a_stream_from_before_the_register_counts_its_per_claim_records_until_the_year_changes():
    someone = enrolled_for([2024, 2025, 2026])
    psn_no = someone.state.psn_no
    legacy = [ReimbursementRecorded(command_id="S:A", psn_no=psn_no, reimbursement=Reimbursement("A", 2024, 3_000)),
              ReimbursementRecorded(command_id="S:B", psn_no=psn_no, reimbursement=Reimbursement("B", 2025, 0)),
              ReimbursementRecorded(command_id="S:C", psn_no=psn_no, reimbursement=Reimbursement("C", 2025, 800)),
              ReimbursementCancelled(command_id="X:C", psn_no=psn_no, claim_id="C")]
    encoded = (encode_event(event, VAULT) for event in [*someone.events, *legacy])
    stored = [decode_event(name, orjson.dumps(data), VAULT) for name, data in encoded]
    replayed = InsuredPerson.replay(stored)
    assert replayed.state.years_with_fund_payment() == {2024}
    assert replayed.view(date(2026, 5, 1)).no_claim_years == 1  # 2025: C was cancelled, B paid nothing
    fund_year(replayed, 2024, paid=False, claim_id="A")  # A cancelled after the upgrade, through the register
    assert replayed.view(date(2026, 5, 1)).no_claim_years == 2


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
