import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.wallet.domain import Bucket, Entry, NegativeBalance, PersonalAccount, Posting, PostingKind
from services.wallet.tests.unit.builders import account, cst

BUCKETS = (Bucket.WALLET, Bucket.PRIOR_YEARS, Bucket.CURRENT_YEAR)


def test_draws_take_the_buckets_in_the_order_given_and_never_more_than_each_holds():
    draws = account("P1", prior=300, current=500, wallet=100).draws(700, BUCKETS)
    assert [(d.bucket, d.amount) for d in draws] == [
        (Bucket.WALLET, 100), (Bucket.PRIOR_YEARS, 300), (Bucket.CURRENT_YEAR, 300)]


@given(st.integers(0, 10_000), st.integers(0, 10_000), st.integers(0, 10_000), st.integers(0, 40_000))
def test_draws_take_exactly_what_is_wanted_or_everything_available(prior, current, wallet, wanted):
    a = account("P1", prior=prior, current=current, wallet=wallet)
    draws = a.draws(wanted, BUCKETS)
    assert sum(d.amount for d in draws) == min(wanted, a.total)
    assert all(0 < d.amount <= a.balances.of(d.bucket) for d in draws)


def test_rollover_moves_the_current_year_balance_into_the_prior_years_with_a_posting():
    rolled, posting = account("P1", prior=1_000, current=2_500, year=2024).rolled_to(2025, cst(2025, 1, 1, 0, 5))
    assert (rolled.year, rolled.prior_years, rolled.current_year) == (2025, 3_500, 0)
    assert posting is not None and posting.key == "rollover:P1:2025"
    assert posting.kind is PostingKind.YEAR_ROLLOVER
    assert set(posting.entries) == {Entry("personal:P1:current_year", -2_500), Entry("personal:P1:prior_years", 2_500)}


def test_rollover_to_the_same_or_an_earlier_year_changes_nothing():
    a = account("P1", current=2_500, year=2025)
    assert a.rolled_to(2025, cst()) == (a, None)
    assert a.rolled_to(2024, cst()) == (a, None)


def test_rollover_of_an_empty_current_year_only_advances_the_year():
    rolled, posting = PersonalAccount("P1").rolled_to(2025, cst())
    assert rolled == PersonalAccount("P1", year=2025) and posting is None


def test_a_posting_that_would_overdraw_a_person_is_refused():
    overdraw = Posting("k", PostingKind.CLAIM_PAYMENT, cst(),
                       (Entry("personal:P1:prior_years", -101), Entry("claims-payable:H1", 101)))
    with pytest.raises(NegativeBalance):
        account("P1", prior=100).applied(overdraw)
