import pytest

from services.wallet.domain import (
    Entry,
    InsufficientBalance,
    InvalidAmount,
    NotBoundRelative,
    PayResidentPremium,
    PremiumPaymentIdReused,
    UseNotGranted,
    decide_premium_payment,
)
from services.wallet.domain.family import Use
from services.wallet.tests.unit.builders import POLICY, account, binding, cst, locked


def pay(amount=40_000, *, payment_id="PP1", uses=(Use.PREMIUM,), bound=True, holder_prior=100_000, existing=None):
    cmd = PayResidentPremium(payment_id, "H1", "M1", amount, 2026, "140100", cst(2025, 11, 20))
    return decide_premium_payment(
        cmd, locked(account("H1", prior=holder_prior)), binding("H1", "M1", *uses) if bound else None, existing, POLICY)


def test_a_holder_pays_a_bound_relatives_resident_premium_into_the_regions_premium_account():
    d = pay()
    (posting,) = d.postings
    assert posting.key == "premium:PP1"
    assert set(posting.entries) == {
        Entry("personal:H1:prior_years", -40_000), Entry("resident-premiums:140100", 40_000)}
    paid = d.outcome
    assert (paid.member, paid.coverage_year, paid.amount, paid.holder_balc) == ("M1", 2026, 40_000, 60_000)


def test_a_premium_is_refused_when_the_holder_allowed_only_medical_costs():
    with pytest.raises(UseNotGranted):
        pay(uses=(Use.MEDICAL,))


def test_a_premium_for_someone_not_bound_is_refused():
    with pytest.raises(NotBoundRelative):
        pay(bound=False)


def test_a_premium_larger_than_the_shareable_balance_is_refused_whole():
    with pytest.raises(InsufficientBalance):
        pay(holder_prior=39_999)


def test_a_premium_must_be_a_positive_amount():
    with pytest.raises(InvalidAmount):
        pay(0)


def test_the_same_premium_payment_twice_is_paid_once_and_a_reused_id_is_refused():
    first = pay()
    assert pay(existing=first.outcome).replayed
    with pytest.raises(PremiumPaymentIdReused):
        pay(35_000, existing=first.outcome)
