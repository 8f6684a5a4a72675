"""Manual reimbursement's rules (零星报销): the guards, and a bill adjudicated as any claim but owed to the person."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from services.settlement.domain import ReasonCode, Settlement, balances, fund_postings
from services.settlement.domain.errors import ClaimRefused
from services.settlement.domain.reimbursement import Receipt, check_reimbursable

from .builders import APPENDECTOMY, claim, line, pack, reject, settle

ADMISSION = claim(line("1", APPENDECTOMY, 4, 1200), mdtrtarea_admvs="371300", begntime=datetime(2026, 3, 2, 9, 30))


def refusal(**facts) -> ClaimRefused:
    given: dict[str, Any] = dict(received_on=date(2026, 4, 1), care_ended=date(2026, 3, 7), receipts=[Receipt("R1", 480000)],
                 settled_directly=None, reimbursed_receipts=frozenset()) | facts
    try:
        check_reimbursable(ADMISSION, pack(), **given)
    except ClaimRefused as refused:
        return refused
    raise AssertionError("not refused")


def test_a_bill_within_the_time_limit_with_matching_receipts_is_reimbursable():
    check_reimbursable(ADMISSION, pack(), received_on=date(2027, 3, 7), care_ended=date(2026, 3, 7),
                       receipts=[Receipt("R1", 480000)], settled_directly=None, reimbursed_receipts=frozenset())


def test_a_bill_brought_after_the_packs_time_limit_is_refused():
    refused = refusal(received_on=date(2027, 3, 8))
    assert refused.reason_code == ReasonCode.OUTSIDE_TIME_LIMIT and "366 days" in refused.reason


def test_a_visit_already_settled_directly_is_refused():
    assert refusal(settled_directly="S123").reason_code == ReasonCode.ALREADY_SETTLED_DIRECTLY


def test_a_receipt_reimbursed_before_is_refused():
    assert refusal(reimbursed_receipts={"R1"}).reason_code == ReasonCode.RECEIPT_ALREADY_REIMBURSED


def test_receipts_that_do_not_add_up_to_the_bill_are_refused():
    refused = refusal(receipts=[Receipt("R1", 100000)])
    assert refused.reason_code == ReasonCode.INVALID_CLAIM and "receipts add up to 1,000.00" in refused.reason


def test_a_reimbursement_needs_no_cross_region_filing_and_is_owed_to_the_person():
    from dataclasses import replace

    assert reject(ADMISSION).reason_code == ReasonCode.CROSS_REGION_NOT_FILED
    manual = settle(replace(ADMISSION, manual=True))
    assert isinstance(manual, Settlement) and manual.manual
    owed = balances(fund_postings(manual))
    assert owed == {"fund:430100:pooling:expense": manual.amounts.fund_pay_sumamt,
                    f"payable:430100:person:{ADMISSION.psn_no}": -manual.amounts.fund_pay_sumamt}
