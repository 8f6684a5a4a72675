"""The claim aggregate: its guards refuse with named errors, its transitions record what must be done."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from services.settlement.domain import AccumulatorDelta, Posting, balances
from services.settlement.domain.ledger import UnbalancedPostings, account_postings
from services.settlement.domain.settlement_claim import (
    AlreadyPaidOut,
    CancellationAccepted,
    CancellationRefused,
    Cancelled,
    InProgress,
    Kind,
    NotFound,
    PaidOut,
    PayoutMismatch,
    Settled,
    SettlementClaim,
    Status,
    Voided,
)

DELTA = AccumulatorDelta(year=2026, service_date=date(2026, 3, 2), deductible_paid=120000, admissions=1, pooling_paid=300000)
LOCAL = (Posting("fund:430100:pooling:expense", debit=300000), Posting("payable:430100:H1", credit=300000))
TO_PERSON = (Posting("fund:430100:pooling:expense", debit=300000), Posting("payable:430100:person:P1", credit=300000))


def a_claim(status: Status = Status.SETTLED, kind: Kind = Kind.DIRECT, **fields) -> SettlementClaim:
    postings = TO_PERSON if kind is Kind.REIMBURSEMENT else LOCAL
    defaults: dict[str, Any] = dict(claim_id="C1", setl_id="S1", kind=kind, status=status, psn_no="P1",
                                    fixmedins_code="H1", insuplc_admdvs="430100", delta=DELTA, postings=postings,
                                    office_ref="R1" if kind is Kind.REIMBURSEMENT else None)
    return SettlementClaim(**(defaults | fields))


WALLET = {"acct_pay": 5000, "acct_mulaid_pay": 1000, "psn_cash_pay": 0, "balc": 0}


def test_the_wallets_payment_settles_an_adjudicated_claim_with_the_entries_stored_at_adjudication():
    claim = a_claim(Status.ADJUDICATED)
    claim.wallet_paid(WALLET)
    assert claim.status is Status.SETTLED and claim.pull_events() == [Settled(LOCAL, WALLET)]
    claim.wallet_paid(WALLET)  # the answer again
    assert claim.pull_events() == [] and claim.postings == LOCAL


def test_a_reimbursements_accounts_part_is_owed_to_the_person_with_the_funds_part_and_taken_back_with_it():
    claim = a_claim(Status.ADJUDICATED, kind=Kind.REIMBURSEMENT)
    claim.wallet_paid(WALLET)
    (settled,) = claim.pull_events()
    assert isinstance(settled, Settled) and settled.added == account_postings("430100", "P1", 6000)
    assert settled.postings == claim.postings == TO_PERSON + settled.added
    assert claim.payable == 306000
    claim.request_cancel("X1")
    claim.complete_cancel()
    _, cancelled = claim.pull_events()
    assert isinstance(cancelled, Cancelled) and balances(settled.postings + cancelled.postings) == {}


def test_stored_entries_that_do_not_balance_do_not_settle_the_claim():
    claim = a_claim(Status.ADJUDICATED, postings=(Posting("fund:430100:pooling:expense", debit=100),))
    with pytest.raises(UnbalancedPostings):
        claim.wallet_paid(WALLET)
    assert claim.status is Status.ADJUDICATED and claim.events == []


def test_a_cancellation_takes_back_the_settlements_own_delta_and_posts_its_contra_entries():
    claim = a_claim()
    claim.check_cancellable_by_institution("H1")
    claim.request_cancel("X1")
    claim.complete_cancel()
    accepted, cancelled = claim.events
    assert isinstance(accepted, CancellationAccepted) and accepted.delta == DELTA.negated()
    assert isinstance(cancelled, Cancelled) and balances(LOCAL + cancelled.postings) == {}
    assert claim.status is Status.CANCELLED and claim.cancel_id == "X1"


def test_only_the_institution_that_settled_a_direct_claim_may_cancel_it():
    with pytest.raises(NotFound):
        a_claim().check_cancellable_by_institution("H2")
    with pytest.raises(NotFound):
        a_claim(kind=Kind.REIMBURSEMENT).check_cancellable_by_institution("H1")


def test_a_claim_still_being_paid_cannot_be_cancelled_yet():
    with pytest.raises(InProgress) as refusal:
        a_claim(Status.ADJUDICATED).check_cancellable_by_institution("H1")
    assert refusal.value.reason_code == "CLAIM_IN_PROGRESS"


def test_a_second_cancel_or_a_second_refund_changes_nothing():
    claim = a_claim(Status.CANCELLED)
    claim.request_cancel("X2")
    claim.complete_cancel()
    assert claim.events == [] and claim.status is Status.CANCELLED


def test_a_refused_payment_voids_the_claim_and_a_refused_refund_restores_the_settlement():
    unpaid = a_claim(Status.ADJUDICATED)
    unpaid.wallet_refused()
    assert unpaid.status is Status.VOID and unpaid.events == [Voided(DELTA.negated())]
    refunding = a_claim(Status.CANCELLING, cancel_id="X1")
    refunding.wallet_refused()
    assert refunding.status is Status.SETTLED and refunding.cancel_id is None
    assert refunding.events == [CancellationRefused(DELTA)]


def test_a_reimbursement_is_paid_out_once_for_exactly_what_is_payable_to_the_person():
    claim = a_claim(kind=Kind.REIMBURSEMENT, postings=TO_PERSON + account_postings("430100", "P1", 5000))
    assert claim.payable == 305000
    with pytest.raises(PayoutMismatch):
        claim.pay_out("430100", 300000)
    claim.pay_out("430100", 305000)
    claim.pay_out("430100", 305000)
    (paid,) = claim.events
    assert isinstance(paid, PaidOut) and balances(claim.postings + paid.postings) == {
        "fund:430100:pooling:expense": 300000, "personal_account:430100:P1": 5000, "bank:430100:reimbursements": -305000}


def test_a_reimbursement_paid_out_cannot_be_withdrawn_and_belongs_to_its_region():
    with pytest.raises(AlreadyPaidOut):
        a_claim(kind=Kind.REIMBURSEMENT, paid_out=True).check_cancellable_by_office("430100")
    with pytest.raises(NotFound):
        a_claim(kind=Kind.REIMBURSEMENT).check_cancellable_by_office("371300")
    with pytest.raises(NotFound):
        a_claim(kind=Kind.REIMBURSEMENT).pay_out("371300", 300000)
