import pytest

from services.wallet.domain import (
    Bucket,
    ClaimMismatch,
    RevokeBinding,
    UnknownClaim,
    decide_claim_payment,
    decide_claim_refund,
    decide_revocation,
)
from services.wallet.tests.unit.builders import POLICY, account, binding, cancel, claim, cst, locked


def paid(cmd, accounts, bindings=()):
    d = decide_claim_payment(cmd, accounts, bindings, None, POLICY)
    return d.outcome, {**accounts, **{a.psn_no: a for a in d.accounts}}


def test_a_refund_returns_every_draw_to_the_account_it_came_from():
    before = locked(account("M1", prior=1_000, current=500), account("H1", prior=3_000))
    payment, after_payment = paid(claim("S1", "M1", 6_000), before, [binding("H1", "M1")])
    d = decide_claim_refund(cancel("S1", "M1"), payment, None, after_payment)
    (posting,) = d.postings
    assert posting.key == "claim-refund:S1"
    assert {a.psn_no: a for a in d.accounts} == before
    assert posting.amount_for("claims-payable:H43010500001") == -4_500


def test_the_refund_answers_the_same_parts_as_the_payment_and_cash_is_handed_back():
    payment, accounts = paid(claim("S1", "M1", 6_000), locked(account("M1", prior=1_000), account("H1", prior=3_000)),
                             [binding("H1", "M1")])
    refund = decide_claim_refund(cancel("S1", "M1"), payment, None, accounts).outcome
    assert (refund.acct_pay, refund.acct_mulaid_pay, refund.psn_cash_pay) == (1_000, 3_000, 2_000)
    assert refund.balc == 1_000


def test_a_second_refund_is_a_no_op_even_under_another_cancel_id():
    payment, accounts = paid(claim("S1", "P1", 600), locked(account("P1", prior=1_000)))
    first = decide_claim_refund(cancel("S1", "P1"), payment, None, accounts)
    again = decide_claim_refund(cancel("S1", "P1", cancel_id="X2"), payment, first.outcome, accounts)
    assert again.replayed and again.outcome == first.outcome


def test_refunding_a_claim_the_wallet_never_paid_is_refused():
    with pytest.raises(UnknownClaim):
        decide_claim_refund(cancel("S404", "P1"), None, None, locked(account("P1")))


@pytest.mark.parametrize("change", [{"psn_no": "P2"}, {"fixmedins_code": "H2"}, {"claim_id": "other"}])
def test_a_refund_naming_another_patient_institution_or_claim_is_refused(change):
    payment, accounts = paid(claim("S1", "P1", 600), locked(account("P1", prior=1_000)))
    args = {"psn_no": "P1", **change}
    psn_no = args.pop("psn_no")
    with pytest.raises(ClaimMismatch):
        decide_claim_refund(cancel("S1", psn_no, **args), payment, None, {**accounts, "P2": account("P2")})


def test_current_year_money_refunded_after_the_new_year_returns_to_the_prior_years():
    payment, accounts = paid(claim("S1", "P1", 800, at=cst(2025, 12, 30)), locked(account("P1", current=1_000)))
    d = decide_claim_refund(cancel("S1", "P1", at=cst(2026, 1, 3)), payment, None, accounts)
    assert [p.key for p in d.postings] == ["rollover:P1:2026", "claim-refund:S1"]
    assert d.accounts[0] == account("P1", prior=1_000, current=0, year=2026)
    assert d.outcome.returns[0].bucket is Bucket.PRIOR_YEARS


def test_family_money_goes_back_to_the_holder_even_after_the_binding_was_revoked():
    b = binding("H1", "M1")
    payment, accounts = paid(claim("S1", "M1", 700), locked(account("M1"), account("H1", prior=1_000)), [b])
    decide_revocation(RevokeBinding("H1", "M1", cst(2025, 3, 1, 12)), b)
    d = decide_claim_refund(cancel("S1", "M1"), payment, None, accounts)
    assert {a.psn_no: a.total for a in d.accounts} == {"H1": 1_000}


def test_refunding_a_cash_only_claim_posts_nothing_but_answers_the_cash_to_hand_back():
    payment, accounts = paid(claim("S1", "P1", 500, used=False), locked(account("P1", prior=1_000)))
    d = decide_claim_refund(cancel("S1", "P1"), payment, None, accounts)
    assert not d.postings and d.outcome.psn_cash_pay == 500 and d.record == d.outcome
