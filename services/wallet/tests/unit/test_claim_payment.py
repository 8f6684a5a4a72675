import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.wallet.domain import (
    Bucket,
    Entry,
    InvalidAmount,
    LocksIncomplete,
    RevokeBinding,
    SettlementIdReused,
    Use,
    WalletPolicy,
    decide_claim_payment,
    decide_revocation,
)
from services.wallet.tests.unit.builders import POLICY, account, binding, claim, cst, locked


def pay(cmd, accounts, bindings=(), existing=None, policy=POLICY):
    return decide_claim_payment(cmd, accounts, bindings, existing, policy)


def parts(payment):
    return payment.acct_pay, payment.acct_mulaid_pay, payment.psn_cash_pay


def test_an_employee_pays_from_own_prior_years_then_the_current_year_then_cash():
    d = pay(claim("S1", "P1", 10_000), locked(account("P1", prior=3_000, current=5_000)))
    assert parts(d.outcome) == (8_000, 0, 2_000)
    assert [(x.bucket, x.amount) for x in d.outcome.draws] == [
        (Bucket.PRIOR_YEARS, 3_000), (Bucket.CURRENT_YEAR, 5_000)]
    assert d.outcome.balc == 0


def test_money_received_by_wallet_transfer_is_spent_before_the_patients_prior_years():
    d = pay(claim("S1", "P1", 1_500), locked(account("P1", prior=3_000, wallet=1_000)))
    assert [(x.bucket, x.amount) for x in d.outcome.draws] == [(Bucket.WALLET, 1_000), (Bucket.PRIOR_YEARS, 500)]


def test_the_payment_owes_the_account_money_to_the_hospital_and_leaves_cash_off_the_ledger():
    (posting,) = pay(claim("S1", "P1", 10_000), locked(account("P1", prior=3_000))).postings
    assert posting.key == "claim:S1"
    assert set(posting.entries) == {
        Entry("personal:P1:prior_years", -3_000), Entry("claims-payable:H43010500001", 3_000)}


def test_balc_is_the_patients_own_balance_after_payment():
    d = pay(claim("S1", "P1", 1_000), locked(account("P1", prior=3_000, current=700, wallet=50)))
    assert d.outcome.balc == 2_750 == d.accounts[0].total


def test_an_employee_member_spends_their_own_balance_before_family_money():
    accounts = locked(account("M1", prior=2_000, current=1_000), account("H1", prior=50_000))
    d = pay(claim("S1", "M1", 5_000), accounts, [binding("H1", "M1")])
    assert parts(d.outcome) == (3_000, 2_000, 0)
    assert d.outcome.balc == 0


def test_a_resident_member_with_no_account_uses_family_money_directly():
    accounts = locked(account("M1"), account("H1", prior=1_000, current=9_000))
    d = pay(claim("S1", "M1", 4_000), accounts, [binding("H1", "M1")])
    assert parts(d.outcome) == (0, 4_000, 0)
    assert [(x.psn_no, x.bucket, x.amount) for x in d.outcome.draws] == [
        ("H1", Bucket.PRIOR_YEARS, 1_000), ("H1", Bucket.CURRENT_YEAR, 3_000)]


def test_family_money_comes_from_holders_in_binding_order_then_cash():
    accounts = locked(account("M1"), account("HA", prior=1_000), account("HB", prior=2_000))
    bindings = [binding("HB", "M1", bound_at=cst(2024, 6, 1)), binding("HA", "M1", bound_at=cst(2024, 1, 1))]
    d = pay(claim("S1", "M1", 5_000), accounts, bindings)
    assert [(x.psn_no, x.amount) for x in d.outcome.draws] == [("HA", 1_000), ("HB", 2_000)]
    assert parts(d.outcome) == (0, 3_000, 2_000)


def test_a_holder_who_granted_only_premiums_does_not_pay_medical_costs():
    accounts = locked(account("M1"), account("H1", prior=9_000))
    d = pay(claim("S1", "M1", 4_000), accounts, [binding("H1", "M1", Use.PREMIUM)])
    assert parts(d.outcome) == (0, 0, 4_000) and not d.postings


def test_a_revoked_binding_does_not_pay():
    revoked = decide_revocation(RevokeBinding("H1", "M1", cst(2025, 2, 1)), binding("H1", "M1"))
    d = pay(claim("S1", "M1", 4_000), locked(account("M1"), account("H1", prior=9_000)), [revoked])
    assert parts(d.outcome) == (0, 0, 4_000)


def test_family_money_never_includes_the_holders_own_wallet_receipts():
    accounts = locked(account("M1"), account("H1", prior=1_000, wallet=9_000))
    assert parts(pay(claim("S1", "M1", 4_000), accounts, [binding("H1", "M1")]).outcome) == (0, 1_000, 3_000)


def test_a_region_that_shares_only_prior_years_keeps_the_holders_current_year():
    policy = WalletPolicy(family_buckets=(Bucket.PRIOR_YEARS,))
    accounts = locked(account("M1"), account("H1", prior=1_000, current=9_000))
    d = pay(claim("S1", "M1", 4_000), accounts, [binding("H1", "M1")], policy=policy)
    assert parts(d.outcome) == (0, 1_000, 3_000)


def test_a_patient_who_declines_the_account_still_gets_family_money_before_cash():
    accounts = locked(account("M1", prior=5_000), account("H1", prior=1_000))
    d = pay(claim("S1", "M1", 4_000, used=False), accounts, [binding("H1", "M1")])
    assert parts(d.outcome) == (0, 1_000, 3_000)


def test_a_region_can_make_declining_the_account_mean_cash_only():
    policy = WalletPolicy(family_money_needs_account_flag=True)
    accounts = locked(account("M1", prior=5_000), account("H1", prior=1_000))
    d = pay(claim("S1", "M1", 4_000, used=False), accounts, [binding("H1", "M1")], policy=policy)
    assert parts(d.outcome) == (0, 0, 4_000) and d.outcome.balc == 5_000


def test_a_zero_personal_part_posts_nothing_but_is_recorded():
    d = pay(claim("S1", "P1", 0), locked(account("P1", prior=10)))
    assert parts(d.outcome) == (0, 0, 0) and not d.postings and d.record == d.outcome


def test_a_negative_personal_part_is_refused():
    with pytest.raises(InvalidAmount):
        pay(claim("S1", "P1", -1), locked(account("P1")))


def test_the_same_settlement_twice_is_paid_once():
    first = pay(claim("S1", "P1", 1_000), locked(account("P1", prior=3_000)))
    again = pay(claim("S1", "P1", 1_000, at=cst(2025, 3, 1, 11)), locked(first.accounts[0]), existing=first.outcome)
    assert again.replayed and again.outcome == first.outcome


def test_a_settlement_id_reused_for_another_claim_or_amount_is_refused():
    first = pay(claim("S1", "P1", 1_000), locked(account("P1", prior=3_000)))
    with pytest.raises(SettlementIdReused):
        pay(claim("S1", "P1", 1_001), locked(first.accounts[0]), existing=first.outcome)


def test_a_payment_decided_without_a_paying_holders_row_locked_asks_for_a_retry():
    with pytest.raises(LocksIncomplete):
        pay(claim("S1", "M1", 1_000), locked(account("M1")), [binding("H1", "M1")])


def test_a_payment_in_a_new_year_rolls_the_accounts_it_draws_from_first():
    d = pay(claim("S1", "P1", 100, at=cst(2026, 1, 2)), locked(account("P1", current=1_000, year=2025)))
    assert [p.key for p in d.postings] == ["rollover:P1:2026", "claim:S1"]
    assert d.outcome.draws[0].bucket is Bucket.PRIOR_YEARS


@given(
    own=st.integers(0, 50_000), h1=st.integers(0, 50_000), h2=st.integers(0, 50_000),
    amount=st.integers(0, 200_000), used=st.booleans(),
)
def test_the_three_parts_always_add_up_to_the_personal_part_in_the_stated_order(own, h1, h2, amount, used):
    accounts = locked(account("M1", prior=own), account("H1", current=h1), account("H2", prior=h2))
    d = pay(claim("S1", "M1", amount, used=used), accounts, [binding("H1", "M1"), binding("H2", "M1")])
    p = d.outcome
    assert p.acct_pay + p.acct_mulaid_pay + p.psn_cash_pay == amount
    assert p.acct_pay == (min(own, amount) if used else 0)
    assert p.acct_mulaid_pay == min(h1 + h2, amount - p.acct_pay)
    after = {**accounts, **{a.psn_no: a for a in d.accounts}}
    assert after["M1"].total + p.acct_pay == accounts["M1"].total == p.balc + p.acct_pay
    assert after["H1"].total + after["H2"].total + p.acct_mulaid_pay == h1 + h2
