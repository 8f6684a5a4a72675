"""Settlement's flows on the real Kafka and Postgres: settle, pre-settle, repeat, cancel, concurrency."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from decimal import Decimal

import pytest

from libs.contracts.claims import ClaimCancelRequested
from tests.support.claims import outpatient_claim
from tests.support.clients import new_id

pytestmark = pytest.mark.integration

INPATIENT_LINES = (
    ("001102000010000", Decimal("50.00"), Decimal("5")),     # bed, 5 days (甲)
    ("XJ01DDA064B002010100367", Decimal("8.80"), Decimal("10")),  # ceftriaxone (乙)
    ("003311000010000", Decimal("1500.00"), Decimal("1")),  # appendectomy (甲)
)


def admission(psn_no: str, when: datetime, claim_id: str | None = None):
    return outpatient_claim(claim_id or new_id("IP"), psn_no, insutype="390", lines=INPATIENT_LINES,
                            med_type="21", hosp_lv="3", when=when)


async def accumulator(settlement, psn_no: str, field: str) -> int:
    return await settlement.fetchval(f"SELECT {field} FROM accumulators WHERE psn_no = $1 AND year = 2026", psn_no) or 0


async def test_a_settled_claim_posts_balanced_fund_entries_and_explains_itself(settlement) -> None:
    psn = new_id("R")
    await settlement.enroll(psn)
    outcome = await settlement.submit(admission(psn, datetime(2026, 3, 2, 9)))
    assert outcome.event_type == "ClaimSettled", outcome
    a = outcome.amounts
    assert a.act_pay_dedc == 1200_00
    assert a.medfee_sumamt == a.fulamt_ownpay_amt + a.overlmt_selfpay + a.preselfpay_amt + a.inscp_scp_amt
    assert a.medfee_sumamt == a.fund_pay_sumamt + a.psn_part_amt
    assert any("deductible" in line and "1,200.00" in line for line in outcome.explanation)
    entries = await settlement.fetch("SELECT debit, credit FROM fund_entries WHERE setl_id = $1", outcome.setl_id)
    assert sum(e["debit"] for e in entries) == sum(e["credit"] for e in entries) == a.fund_pay_sumamt
    assert await accumulator(settlement, psn, "admissions") == 1
    assert await accumulator(settlement, psn, "deductible_paid") == 1200_00


async def test_a_pre_settlement_answers_the_same_split_and_changes_nothing(settlement) -> None:
    psn = new_id("R")
    await settlement.enroll(psn)
    claim = admission(psn, datetime(2026, 3, 2, 9))
    pre = await settlement.submit(claim.model_copy(update={"action": "presettle"}))
    assert pre.event_type == "ClaimPreSettled"
    assert await settlement.fetchval("SELECT count(*) FROM claims WHERE claim_id = $1", claim.claim_id) == 0
    assert await accumulator(settlement, psn, "admissions") == 0
    settled = await settlement.submit(claim)
    assert settled.amounts == pre.amounts


async def test_the_same_claim_sent_twice_is_paid_once_and_answered_twice(settlement) -> None:
    psn = new_id("R")
    await settlement.enroll(psn)
    claim = admission(psn, datetime(2026, 4, 1, 9))
    first = await settlement.submit(claim)
    again = await settlement.submit(claim)  # a new message, the same claim id and bill
    assert again.event_type == "ClaimSettled" and again.setl_id == first.setl_id
    assert await settlement.fetchval("SELECT count(*) FROM claims WHERE claim_id = $1", claim.claim_id) == 1
    assert await settlement.fetchval(
        "SELECT sum(debit) FROM fund_entries WHERE setl_id = $1", first.setl_id) == first.amounts.fund_pay_sumamt
    assert await accumulator(settlement, psn, "admissions") == 1


async def test_a_claim_id_reused_for_a_different_bill_is_refused(settlement) -> None:
    psn = new_id("R")
    await settlement.enroll(psn)
    claim = admission(psn, datetime(2026, 4, 1, 9))
    await settlement.submit(claim)
    other = admission(psn, datetime(2026, 4, 2, 9), claim_id=claim.claim_id)
    refused = await settlement.submit(other)
    assert refused.event_type == "ClaimRejected" and refused.reason_code == "CLAIM_ID_REUSED"


async def test_cancel_restores_every_accumulator_and_posts_contra_entries_and_a_second_cancel_is_a_no_op(settlement) -> None:
    psn = new_id("R")
    await settlement.enroll(psn)
    first = await settlement.submit(admission(psn, datetime(2026, 5, 1, 9)))
    before = {f: await accumulator(settlement, psn, f) for f in ("admissions", "deductible_paid", "pooling_paid")}
    second_claim = admission(psn, datetime(2026, 5, 20, 9))
    second = await settlement.submit(second_claim)
    assert second.amounts.act_pay_dedc == 600_00  # the second admission pays half the deductible
    cancel = ClaimCancelRequested(claim_id=second_claim.claim_id, cancel_id=new_id("X"),
                                  fixmedins_code=second_claim.fixmedins_code, psn_no=psn)
    cancelled = await settlement.submit(cancel)
    assert cancelled.event_type == "ClaimCancelled" and cancelled.setl_id == second.setl_id
    after = {f: await accumulator(settlement, psn, f) for f in before}
    assert after == before
    rows = await settlement.fetch("SELECT account, sum(debit) - sum(credit) AS net FROM fund_entries"
                                  " WHERE setl_id = $1 GROUP BY account", second.setl_id)
    assert rows and all(r["net"] == 0 for r in rows)
    again = await settlement.submit(cancel.model_copy(update={"cancel_id": new_id("X")}))
    assert again.event_type == "ClaimCancelled"
    assert {f: await accumulator(settlement, psn, f) for f in before} == before
    assert await settlement.fetchval("SELECT count(*) FROM fund_entries WHERE setl_id = $1 AND kind = 'reverse'",
                                     second.setl_id) == len(rows) and first.setl_id != second.setl_id


async def test_two_admissions_of_one_person_arriving_together_see_each_other(settlement) -> None:
    psn = new_id("R")
    await settlement.enroll(psn)
    a, b = admission(psn, datetime(2026, 6, 1, 9)), admission(psn, datetime(2026, 6, 1, 9))
    outcomes = await asyncio.gather(settlement.submit(a), settlement.submit(b))
    deductibles = sorted(o.amounts.act_pay_dedc for o in outcomes)
    assert deductibles == [600_00, 1200_00]
    assert await accumulator(settlement, psn, "admissions") == 2
    assert await accumulator(settlement, psn, "deductible_paid") == 1800_00


async def test_a_person_not_insured_or_still_waiting_is_refused_with_a_reason(settlement) -> None:
    unknown = await settlement.submit(admission(new_id("NOBODY"), datetime(2026, 6, 1, 9)))
    assert unknown.event_type == "ClaimRejected" and unknown.reason_code == "NOT_INSURED"
    psn = new_id("R")
    await settlement.enroll(psn, waiting_until=date(2026, 8, 31))
    waiting = await settlement.submit(admission(psn, datetime(2026, 6, 1, 9)))
    assert waiting.reason_code == "WAITING_PERIOD" and "2026" in waiting.reason


async def test_a_payment_the_wallet_refuses_voids_the_claim_and_gives_back_the_accumulators(settlement) -> None:
    psn = new_id("REFUSE")
    await settlement.enroll(psn)
    refused = await settlement.submit(admission(psn, datetime(2026, 8, 1, 9)))
    assert refused.event_type == "ClaimRejected" and refused.reason_code == "WALLET_CLAIM_MISMATCH"
    assert await accumulator(settlement, psn, "admissions") == 0
    assert await accumulator(settlement, psn, "deductible_paid") == 0
    assert await settlement.fetchval("SELECT status FROM claims WHERE claim_id = $1", refused.claim_id) == "void"
    assert await settlement.fetchval(
        "SELECT count(*) FROM fund_entries e JOIN claims c USING (setl_id) WHERE c.claim_id = $1", refused.claim_id) == 0
