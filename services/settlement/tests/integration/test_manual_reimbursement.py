"""Manual reimbursement (零星报销) end to end on the real Kafka and Postgres: an office's HTTP request,
the command topic, adjudication, the wallet, the ledger's payable to the person, payout, cancellation."""

from __future__ import annotations

from datetime import date, datetime

import httpx
import pytest

from libs.money import line_amount
from services.settlement.tests.integration.test_settlement_flows import INPATIENT_LINES, accumulator, admission
from tests.support.auth import bearer
from tests.support.clients import new_id

pytestmark = pytest.mark.integration

LINYI = "371300"  # treated there in an emergency admission, with no cross-region filing


def bill(psn_no: str, office_ref: str, *, receipt: str | None = None, received_on: date = date(2026, 5, 20),
         begntime: datetime = datetime(2026, 5, 2, 22, 10), treated: str = LINYI, hospital: str = "H37130200009",
         lines=INPATIENT_LINES) -> dict:
    fee_details = [{"feedetl_sn": str(i + 1), "med_list_codg": code, "cnt": str(cnt), "pric": str(pric),
                    "det_item_fee_sumamt": line_amount(cnt, pric)} for i, (code, pric, cnt) in enumerate(lines)]
    total = sum(line["det_item_fee_sumamt"] for line in fee_details)
    return {
        "office_ref": office_ref, "reason": "emergency_without_filing", "received_on": received_on.isoformat(),
        "psn_no": psn_no, "insutype": "390", "insuplc_admdvs": "430100", "mdtrtarea_admvs": treated,
        "fixmedins_code": hospital, "hosp_lv": "3", "med_type": "21", "begntime": begntime.isoformat(),
        "endtime": begntime.replace(day=begntime.day + 5).isoformat(),
        "receipts": [{"receipt_no": receipt or new_id("RCPT"), "issued_on": "2026-05-07", "amount": total}],
        "fee_details": fee_details,
    }

CHANGSHA_OFFICE = bearer("office", "clerk-1", region="430100")


async def office_call(settlement, method: str, path: str, body: dict | None = None, timeout: float = 30.0):
    """An office's request, and the next outcome of that reimbursement on reimbursements.outcomes."""
    ref = body["office_ref"] if body and "office_ref" in body else path.split("/")[3]
    claim_id = f"MR-430100-{ref}"
    seen = len(settlement.offices.by_correlation.get(claim_id, []))
    async with httpx.AsyncClient(base_url=settlement.url, headers=CHANGSHA_OFFICE) as http:
        response = await http.request(method, path, json=body)
    assert response.status_code == 202, response.text
    await settlement.offices.wait_for(lambda: len(settlement.offices.by_correlation.get(claim_id, [])) > seen, timeout)
    return settlement.offices.by_correlation[claim_id][seen].payload


async def balance(settlement, account: str) -> int:
    return await settlement.fetchval(
        "SELECT coalesce(sum(credit - debit), 0) FROM fund_entries WHERE account = $1", account)


async def test_an_emergency_paid_in_full_elsewhere_is_reimbursed_to_the_person_and_paid_out_once(settlement) -> None:
    psn, ref = new_id("R"), new_id("MR")
    await settlement.enroll(psn)
    settled = await office_call(settlement, "POST", "/v1/reimbursements", bill(psn, ref))
    assert settled.event_type == "ReimbursementSettled", settled
    a = settled.amounts
    assert a.medfee_sumamt == a.fulamt_ownpay_amt + a.overlmt_selfpay + a.preselfpay_amt + a.inscp_scp_amt
    assert a.medfee_sumamt == a.fund_pay_sumamt + a.psn_part_amt and a.fund_pay_sumamt > 0
    assert a.act_pay_dedc == 1200_00  # the insured region's policy: a level-3 admission in Changsha's pack
    assert any("catalogue 370000" in line for line in settled.explanation)  # the treatment region's catalogue
    assert settled.payable_amt == a.fund_pay_sumamt  # a resident has no personal account
    payable = f"payable:430100:person:{psn}"
    assert await balance(settlement, payable) == a.fund_pay_sumamt
    assert await accumulator(settlement, psn, "admissions") == 1  # the same accumulators as a direct claim

    wrong = await office_call(settlement, "POST", f"/v1/reimbursements/{ref}/payout",
                              {"bank_ref": "B-1", "amount": settled.payable_amt + 1})
    assert wrong.event_type == "ReimbursementRejected" and wrong.reason_code == "PAYOUT_MISMATCH"
    paid = await office_call(settlement, "POST", f"/v1/reimbursements/{ref}/payout",
                             {"bank_ref": "B-1", "amount": settled.payable_amt})
    assert paid.event_type == "ReimbursementPaidOut" and paid.amount == settled.payable_amt
    assert await balance(settlement, payable) == 0
    assert await balance(settlement, "bank:430100:reimbursements") == settled.payable_amt
    late = await office_call(settlement, "POST", f"/v1/reimbursements/{ref}/cancel", {"reason": "typo"})
    assert late.event_type == "ReimbursementRejected" and late.reason_code == "REIMBURSEMENT_PAID_OUT"
    async with httpx.AsyncClient(base_url=settlement.url, headers=CHANGSHA_OFFICE) as http:
        stored = (await http.get(f"/v1/reimbursements/{ref}")).json()
    assert stored["status"] == "settled" and stored["payout"] == {"bank_ref": "B-1", "amount": settled.payable_amt}


async def test_the_same_reference_twice_pays_once_and_another_bill_under_it_is_refused(settlement) -> None:
    psn, ref = new_id("R"), new_id("MR")
    await settlement.enroll(psn)
    first_bill = bill(psn, ref)
    first = await office_call(settlement, "POST", "/v1/reimbursements", first_bill)
    again = await office_call(settlement, "POST", "/v1/reimbursements", first_bill)
    assert again.event_type == "ReimbursementSettled" and again.setl_id == first.setl_id
    other = await office_call(settlement, "POST", "/v1/reimbursements", bill(psn, ref, begntime=datetime(2026, 5, 3, 9)))
    assert other.event_type == "ReimbursementRejected" and other.reason_code == "OFFICE_REF_REUSED"
    assert await accumulator(settlement, psn, "admissions") == 1


async def test_a_withdrawn_reimbursement_restores_the_accumulators_and_the_ledger_and_frees_its_receipts(settlement) -> None:
    psn, ref, receipt = new_id("R"), new_id("MR"), new_id("RCPT")
    await settlement.enroll(psn)
    settled = await office_call(settlement, "POST", "/v1/reimbursements", bill(psn, ref, receipt=receipt))
    cancelled = await office_call(settlement, "POST", f"/v1/reimbursements/{ref}/cancel", {"reason": "wrong person"})
    assert cancelled.event_type == "ReimbursementCancelled" and cancelled.setl_id == settled.setl_id
    assert await accumulator(settlement, psn, "admissions") == 0
    assert await accumulator(settlement, psn, "deductible_paid") == 0
    assert await balance(settlement, f"payable:430100:person:{psn}") == 0
    entries = await settlement.fetch("SELECT debit, credit FROM fund_entries WHERE setl_id = $1", settled.setl_id)
    assert sum(e["debit"] for e in entries) == sum(e["credit"] for e in entries) == 2 * settled.amounts.fund_pay_sumamt
    resubmitted = await office_call(settlement, "POST", "/v1/reimbursements", bill(psn, new_id("MR"), receipt=receipt))
    assert resubmitted.event_type == "ReimbursementSettled"


async def test_reimbursements_are_refused_with_reasons_an_office_clerk_can_act_on(settlement) -> None:
    psn = new_id("R")
    await settlement.enroll(psn)
    direct = await settlement.submit(admission(psn, datetime(2026, 6, 8, 9)))
    assert direct.event_type == "ClaimSettled"
    twice = await office_call(settlement, "POST", "/v1/reimbursements", bill(
        psn, new_id("MR"), treated="430100", hospital=direct.fixmedins_code, begntime=datetime(2026, 6, 8, 9)))
    assert twice.reason_code == "ALREADY_SETTLED_DIRECTLY" and direct.setl_id in twice.reason

    late = await office_call(settlement, "POST", "/v1/reimbursements", bill(
        psn, new_id("MR"), begntime=datetime(2026, 1, 5, 9), received_on=date(2027, 2, 1)))
    assert late.reason_code == "OUTSIDE_TIME_LIMIT" and "365 days" in late.reason

    receipt = new_id("RCPT")
    await office_call(settlement, "POST", "/v1/reimbursements", bill(psn, new_id("MR"), receipt=receipt,
                                                                     begntime=datetime(2026, 7, 1, 9)))
    reused = await office_call(settlement, "POST", "/v1/reimbursements", bill(psn, new_id("MR"), receipt=receipt,
                                                                              begntime=datetime(2026, 7, 9, 9)))
    assert reused.reason_code == "RECEIPT_ALREADY_REIMBURSED"

    stranger = await office_call(settlement, "POST", "/v1/reimbursements", bill(new_id("R"), new_id("MR")))
    assert stranger.reason_code == "NOT_INSURED"


async def test_a_visit_an_office_reimbursed_is_not_settled_directly_until_the_office_withdraws_it(settlement) -> None:
    """The mirror of ALREADY_SETTLED_DIRECTLY: the funds pay for one visit once, whichever way came first."""
    psn, ref, day = new_id("R"), new_id("MR"), datetime(2026, 6, 15, 9)
    await settlement.enroll(psn)
    reimbursed = await office_call(settlement, "POST", "/v1/reimbursements",
                                   bill(psn, ref, treated="430100", hospital="H43010001", begntime=day))
    assert reimbursed.event_type == "ReimbursementSettled"
    late = admission(psn, day.replace(hour=16))  # the hospital settles the same day's visit afterwards
    refused = await settlement.submit(late)
    assert refused.event_type == "ClaimRejected" and refused.reason_code == "ALREADY_REIMBURSED"
    assert ref in refused.reason and "withdraw" in refused.reason
    presettled = await settlement.submit(late.model_copy(update={"claim_id": new_id("IP"), "action": "presettle"}))
    assert presettled.reason_code == "ALREADY_REIMBURSED"  # told at the pre-settlement already
    other_day = await settlement.submit(admission(psn, datetime(2026, 6, 20, 9)))
    assert other_day.event_type == "ClaimSettled"

    await office_call(settlement, "POST", f"/v1/reimbursements/{ref}/cancel", {"reason": "settled by the hospital"})
    direct = await settlement.submit(late.model_copy(update={"claim_id": new_id("IP")}))
    assert direct.event_type == "ClaimSettled"


async def test_an_office_acts_only_for_its_own_region(settlement) -> None:
    body = bill(new_id("R"), new_id("MR")) | {"insuplc_admdvs": "371300"}
    async with httpx.AsyncClient(base_url=settlement.url, headers=CHANGSHA_OFFICE) as http:
        response = await http.post("/v1/reimbursements", json=body)
        assert response.status_code == 403 and response.json()["code"] == "OTHER_REGION"
        assert (await http.get(f"/v1/reimbursements/{new_id('MR')}")).status_code == 404

