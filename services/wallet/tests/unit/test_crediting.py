from decimal import Decimal

import pytest

from services.wallet.domain import (
    Bucket,
    CreditAccount,
    CreditIdReused,
    CreditKind,
    CreditYearInFuture,
    Entry,
    InvalidAmount,
    InvalidRequest,
    PersonalAccount,
    decide_credit,
    decide_rollover,
    retiree_credit,
)
from services.wallet.tests.unit.builders import account, cst


def credit(credit_id="CR1", amount=12_000, kind=CreditKind.CONTRIBUTION, year=2025, at=None, psn_no="P1"):
    return CreditAccount(credit_id, psn_no, amount, kind, "430100", year, at or cst())


def test_a_contribution_credit_lands_in_the_current_year_from_the_regions_contributions():
    decision = decide_credit(credit(), account("P1", prior=500), None)
    (posting,) = decision.postings
    assert posting.key == "credit:CR1"
    assert set(posting.entries) == {Entry("contributions:430100", -12_000), Entry("personal:P1:current_year", 12_000)}
    assert decision.outcome.balc == 12_500 and decision.outcome.bucket is Bucket.CURRENT_YEAR
    assert decision.record == decision.outcome


def test_a_retirees_fixed_credit_comes_from_the_pooling_fund():
    (posting,) = decide_credit(credit(kind=CreditKind.RETIREE_FIXED), account("P1"), None).postings
    assert Entry("pooling-fund:430100", -12_000) in posting.entries


def test_the_retiree_credit_is_the_reference_pension_times_the_rate_rounded_half_up():
    assert retiree_credit(312_345, Decimal("0.02")) == 6_247


def test_a_brand_new_account_is_opened_by_its_first_credit():
    decision = decide_credit(credit(), PersonalAccount("P1"), None)
    assert decision.accounts == (PersonalAccount("P1", year=2025, current_year=12_000),)


def test_a_late_credit_for_an_earlier_year_lands_in_the_prior_years():
    decision = decide_credit(credit(year=2024, at=cst(2025, 2, 1)), account("P1", year=2025), None)
    assert decision.outcome.bucket is Bucket.PRIOR_YEARS
    assert decision.accounts[0].prior_years == 12_000


def test_a_credit_for_a_year_that_has_not_begun_in_china_is_refused():
    with pytest.raises(CreditYearInFuture):
        decide_credit(credit(year=2026, at=cst(2025, 12, 31, 23, 59)), account("P1"), None)


def test_the_first_credit_of_a_new_year_first_rolls_last_years_balance_over():
    last_year = account("P1", prior=100, current=900, year=2025)
    decision = decide_credit(credit(year=2026, at=cst(2026, 1, 5)), last_year, None)
    assert [p.key for p in decision.postings] == ["rollover:P1:2026", "credit:CR1"]
    assert decision.accounts[0] == account("P1", prior=1_000, current=12_000, year=2026)


def test_the_same_credit_twice_is_posted_once():
    first = decide_credit(credit(), account("P1"), None)
    again = decide_credit(credit(at=cst(2025, 3, 9)), first.accounts[0], first.outcome)
    assert again.replayed and again.outcome == first.outcome


def test_a_credit_id_reused_for_a_different_credit_is_refused():
    first = decide_credit(credit(), account("P1"), None)
    with pytest.raises(CreditIdReused):
        decide_credit(credit(amount=1), first.accounts[0], first.outcome)


@pytest.mark.parametrize("amount", [0, -1, 1.0])
def test_a_credit_must_be_a_positive_amount_of_fen(amount):
    with pytest.raises(InvalidAmount):
        decide_credit(credit(amount=amount), account("P1"), None)


def test_a_credit_with_a_naive_time_is_refused():
    from datetime import datetime
    with pytest.raises(InvalidRequest):
        decide_credit(credit(at=datetime(2025, 3, 1)), account("P1"), None)


def test_the_start_of_year_rollover_batch_is_a_posting_and_running_it_twice_changes_nothing():
    first = decide_rollover(account("P1", prior=100, current=900, year=2025), cst(2026, 1, 1, 0, 1))
    assert [p.key for p in first.postings] == ["rollover:P1:2026"]
    again = decide_rollover(first.outcome, cst(2026, 1, 1, 0, 2))
    assert again.replayed


def test_the_rollover_follows_the_china_new_year_not_utc():
    from datetime import UTC, datetime
    just_after_china_midnight = datetime(2025, 12, 31, 16, 30, tzinfo=UTC)
    assert decide_rollover(account("P1", current=900, year=2025), just_after_china_midnight).outcome.year == 2026
