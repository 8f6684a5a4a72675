"""Paying and refunding a claim's personal part through the running wallet, on the real Kafka and Postgres.

The test plays settlement (ClaimAdjudicated / ClaimCancellationAdjudicated on settlement.adjudicated)
and reads the wallet's answers on wallet.payments.
"""

from __future__ import annotations

import pytest

from libs.contracts import claims as c
from tests.support.clients import new_id

pytestmark = pytest.mark.integration

HOSPITAL = "H43010001"


def adjudicated(psn_no: str, amount: int, *, acct_used_flag: bool = True) -> c.ClaimAdjudicated:
    claim_id = new_id("C")
    return c.ClaimAdjudicated(claim_id=claim_id, setl_id=f"S{claim_id}", psn_no=psn_no, insutype="310",
                              fixmedins_code=HOSPITAL, psn_part_amt=amount, acct_used_flag=acct_used_flag)


def cancellation(claim: c.ClaimAdjudicated) -> c.ClaimCancellationAdjudicated:
    return c.ClaimCancellationAdjudicated(claim_id=claim.claim_id, cancel_id=new_id("X"), setl_id=claim.setl_id,
                                          psn_no=claim.psn_no, fixmedins_code=claim.fixmedins_code)


async def a_patient_with_a_relative_who_shares(wallet, own: int, shared: int) -> tuple[str, str]:
    patient, holder = new_id("E"), new_id("H")
    for person, amount in ((patient, own), (holder, shared)):
        await wallet.enroll(person)
        if amount:
            assert (await wallet.credit(person, amount)).event_type == "AccountCredited"
    assert (await wallet.bind(holder, patient, "medical")).active
    return patient, holder


async def test_a_claim_is_paid_from_the_own_account_then_family_money_then_cash(wallet) -> None:
    patient, holder = await a_patient_with_a_relative_who_shares(wallet, own=100_00, shared=50_00)
    paid = await wallet.settle(adjudicated(patient, 200_00))
    assert isinstance(paid, c.PersonalPartPaid)
    assert (paid.acct_pay, paid.acct_mulaid_pay, paid.psn_cash_pay, paid.balc) == (100_00, 50_00, 50_00, 0)
    assert (await wallet.balances(patient)).total == 0
    assert (await wallet.balances(holder)).total == 0
    assert await wallet.db.fetchval(
        "SELECT sum(amount) FROM posting_lines l JOIN postings p ON p.seq = l.posting_seq"
        " WHERE p.key = $1 AND l.account = $2", f"claim:{paid.setl_id}", f"claims-payable:{HOSPITAL}") == 150_00


async def test_a_patient_who_declines_the_account_keeps_it_and_the_family_pays_before_cash(wallet) -> None:
    patient, _holder = await a_patient_with_a_relative_who_shares(wallet, own=100_00, shared=50_00)
    paid = await wallet.settle(adjudicated(patient, 80_00, acct_used_flag=False))
    assert (paid.acct_pay, paid.acct_mulaid_pay, paid.psn_cash_pay, paid.balc) == (0, 50_00, 30_00, 100_00)


async def test_the_same_settlement_again_pays_nothing_more_and_gets_the_same_answer(wallet) -> None:
    patient, _ = await a_patient_with_a_relative_who_shares(wallet, own=100_00, shared=0)
    claim = adjudicated(patient, 30_00)
    first = await wallet.settle(claim)
    again = await wallet.settle(claim)
    assert again == first and (await wallet.balances(patient)).total == 70_00
    assert await wallet.db.fetchval("SELECT count(*) FROM claim_payments WHERE setl_id = $1", claim.setl_id) == 1


async def test_a_cancelled_claim_gives_each_source_back_exactly_and_only_once(wallet) -> None:
    patient, holder = await a_patient_with_a_relative_who_shares(wallet, own=100_00, shared=50_00)
    claim = adjudicated(patient, 200_00)
    await wallet.settle(claim)
    refunded = await wallet.settle(cancellation(claim))
    assert isinstance(refunded, c.PersonalPartRefunded)
    assert (refunded.acct_pay, refunded.acct_mulaid_pay, refunded.psn_cash_pay, refunded.balc) == (
        100_00, 50_00, 50_00, 100_00)
    patient_after, holder_after = await wallet.balances(patient), await wallet.balances(holder)
    assert (patient_after.current_year, patient_after.total) == (100_00, 100_00)
    assert (holder_after.current_year, holder_after.total) == (50_00, 50_00)
    postings = await wallet.postings_of(patient, holder)
    assert await wallet.settle(cancellation(claim)) == refunded  # a second cancel answers the first refund
    assert await wallet.postings_of(patient, holder) == postings
    assert (await wallet.balances(holder)).total == 50_00


async def test_a_refund_of_a_settlement_never_paid_and_a_reused_settlement_id_are_refused_with_reasons(wallet) -> None:
    patient, _ = await a_patient_with_a_relative_who_shares(wallet, own=100_00, shared=0)
    never = await wallet.settle(cancellation(adjudicated(patient, 10_00)))
    assert (never.event_type, never.reason_code) == ("PersonalPartRefused", "UNKNOWN_CLAIM")
    claim = adjudicated(patient, 10_00)
    await wallet.settle(claim)
    reused = await wallet.settle(claim.model_copy(update={"psn_part_amt": 99_00}))
    assert (reused.event_type, reused.reason_code) == ("PersonalPartRefused", "SETTLEMENT_ID_REUSED")
    assert reused.reason and (await wallet.balances(patient)).total == 90_00
