"""The handlers on the in-memory store: a claim's life and a manual reimbursement's, without Postgres."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

import pytest

from libs.contracts import claims as c
from libs.contracts import reimbursement as r
from libs.contracts.enrollment import CoverageChanged
from libs.contracts.envelope import new_envelope
from libs.contracts.registry import decode
from libs.messaging.fakes import FakeDatabase
from services.settlement.domain import Accumulators, Posting, balances
from services.settlement.service_layer.adjudication import PolicyEngine
from services.settlement.service_layer.handlers import SettlementHandlers
from services.settlement.service_layer.reimbursement import ReimbursementHandlers
from services.settlement.tests.unit.fakes import InMemoryStores
from tests.support.claims import outpatient_claim

PSN, DAY = "430102198001011234", datetime(2026, 6, 1, 9, 30)
STAY = (("001102000010000", Decimal("50.00"), Decimal("5")), ("003311000010000", Decimal("1500.00"), Decimal("1")),
        ("002103000030000", Decimal("450.00"), Decimal("1")))  # beds, an appendectomy, an MRI (a large exam)


def admission(claim_id: str) -> c.ClaimSubmitted:
    return outpatient_claim(claim_id, PSN, insutype="390", when=DAY, lines=STAY, med_type="21")


@cache
def engine() -> PolicyEngine:
    return PolicyEngine.load()


@pytest.fixture
async def service() -> tuple[FakeDatabase, SettlementHandlers]:
    database = FakeDatabase()
    handlers = SettlementHandlers(engine(), InMemoryStores(database))
    coverage = CoverageChanged(psn_no=PSN, version=1, insutype="390", insuplc_admdvs="430100", gend="1", age=46,
                               active=True, coverage_begin=date(2020, 1, 1))
    await handle(database, handlers.project_coverage, coverage)
    return database, handlers


async def handle(database: FakeDatabase, handler: Any, message: Any) -> list[Any]:
    """Handle one message in a transaction of its own; the payloads it sent."""
    sent = len(database.outbox)
    async with database.transaction() as tx:
        await handler(tx, new_envelope(message, producer="test", correlation_id="t"))
    return [decode(m.value).payload for m in database.outbox[sent:]]


def entries(database: FakeDatabase) -> list[Posting]:
    return [posting for _, _, posting in database.state["settlement"]["entries"]]


async def accumulators(handlers: SettlementHandlers) -> Accumulators:
    async with handlers.stores.reading() as store:
        return await store.accumulators(PSN, 2026, DAY.date(), for_update=False)


async def test_a_claim_settled_then_cancelled_gives_back_its_accumulators_and_fund_entries_exactly(service) -> None:
    database, handlers = service
    (adjudicated,) = await handle(database, handlers.submit_claim, admission("U1"))
    assert isinstance(adjudicated, c.ClaimAdjudicated)
    moved = await accumulators(handlers)
    assert moved.admissions == 1 and moved.pooling_paid > 0 and len(moved.large_exams) == 1
    paid = c.PersonalPartPaid(claim_id="U1", setl_id=adjudicated.setl_id, psn_no=PSN, acct_pay=0, acct_mulaid_pay=0,
                              psn_cash_pay=adjudicated.psn_part_amt, balc=0)
    (settled,) = await handle(database, handlers.complete_settlement, paid)
    assert isinstance(settled, c.ClaimSettled) and entries(database) and balances(entries(database)) != {}
    assert await handle(database, handlers.complete_settlement, paid) == []  # the answer again: nothing more

    cancel = c.ClaimCancelRequested(claim_id="U1", cancel_id="X1", fixmedins_code=settled.fixmedins_code, psn_no=PSN)
    (accepted,) = await handle(database, handlers.cancellation.request, cancel)
    assert isinstance(accepted, c.ClaimCancellationAdjudicated)  # the accumulators are given back at once
    assert await accumulators(handlers) == Accumulators.empty(2026)
    refunded = c.PersonalPartRefunded(claim_id="U1", cancel_id="X1", setl_id=adjudicated.setl_id, psn_no=PSN,
                                      acct_pay=0, acct_mulaid_pay=0, psn_cash_pay=adjudicated.psn_part_amt, balc=0)
    (cancelled,) = await handle(database, handlers.cancellation.complete, refunded)
    assert isinstance(cancelled, c.ClaimCancelled) and balances(entries(database)) == {}


async def test_a_manual_reimbursement_is_owed_to_the_person_until_the_bank_pays_it_out(service) -> None:
    database, handlers = service
    reimbursements = ReimbursementHandlers(handlers)
    bill = admission("unused")
    total = sum(line.det_item_fee_sumamt for line in bill.fee_details)
    submit = r.SubmitReimbursement(
        office_ref="REF-1", reason="non_networked_institution", received_on=date(2026, 6, 20), psn_no=PSN,
        insutype="390", insuplc_admdvs="430100", mdtrtarea_admvs="430100", fixmedins_code="H43019900001", hosp_lv="3",
        med_type="21", begntime=DAY, endtime=datetime(2026, 6, 5, 9), fee_details=bill.fee_details,
        receipts=[r.Receipt(receipt_no="R-1", issued_on=date(2026, 6, 1), amount=total)])
    (adjudicated,) = await handle(database, reimbursements.submit, submit)
    paid = c.PersonalPartPaid(claim_id=adjudicated.claim_id, setl_id=adjudicated.setl_id, psn_no=PSN, acct_pay=0,
                              acct_mulaid_pay=0, psn_cash_pay=adjudicated.psn_part_amt, balc=0)
    (settled,) = await handle(database, handlers.complete_settlement, paid)
    assert isinstance(settled, r.ReimbursementSettled) and settled.payable_amt == settled.amounts.fund_pay_sumamt > 0
    assert balances(entries(database))[f"payable:430100:person:{PSN}"] == -settled.payable_amt

    again = await handle(database, reimbursements.submit, submit)
    assert [type(m) for m in again] == [r.ReimbursementSettled]  # the office's reference: answered, not paid twice
    payout = r.RecordReimbursementPayout(office_ref="REF-1", insuplc_admdvs="430100", psn_no=PSN, bank_ref="B-1",
                                         amount=settled.payable_amt)
    (paid_out,) = await handle(database, reimbursements.record_payout, payout)
    assert isinstance(paid_out, r.ReimbursementPaidOut)
    assert f"payable:430100:person:{PSN}" not in balances(entries(database))
    (refused,) = await handle(database, reimbursements.cancel, r.CancelReimbursement(
        office_ref="REF-1", insuplc_admdvs="430100", psn_no=PSN))
    assert isinstance(refused, r.ReimbursementRejected) and refused.reason_code == "REIMBURSEMENT_PAID_OUT"
