"""An employee's manual reimbursement: the personal account pays their share, and that part is paid to
the person with the funds'; withdrawing it takes both back (handlers on the real Postgres)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

import asyncpg
import pytest

from libs.contracts import claims as c
from libs.contracts import reimbursement as r
from libs.contracts.enrollment import CoverageChanged
from libs.contracts.envelope import new_envelope
from libs.contracts.registry import decode
from libs.db.migrations import migrate
from libs.messaging import postgres
from libs.messaging.postgres import PgDatabase
from libs.money import line_amount
from services.settlement.adapters.store import PgSettlementStore
from services.settlement.bootstrap import MIGRATIONS, handlers
from services.settlement.service_layer.reimbursement import ReimbursementHandlers

pytestmark = pytest.mark.integration
LINES = (("001102000010000", Decimal("50.00"), Decimal("5")), ("003311000010000", Decimal("1500.00"), Decimal("1")))


@pytest.fixture(scope="module")
async def database(namespace):
    pool = await asyncpg.create_pool(namespace.dsn("settlement"), min_size=1, max_size=2)
    async with pool.acquire() as conn:
        await migrate(conn, {"messaging": postgres.MIGRATIONS, "settlement": MIGRATIONS})
    yield PgDatabase(pool)
    await pool.close()


def sent(tx) -> list:
    return [decode(m.value).payload for m in tx._outbox]


async def handle(database: PgDatabase, handler, payload) -> list:
    async with database.transaction() as tx:
        await handler(tx, new_envelope(payload, producer="test", correlation_id="t"))
    return sent(tx)


async def test_an_employees_account_part_is_paid_to_them_with_the_funds_part_and_taken_back_on_withdrawal(database):
    psn, ref = f"E{uuid.uuid4().hex[:10]}", f"REF{uuid.uuid4().hex[:8]}"
    async with database.pool.acquire() as conn:
        employee = CoverageChanged(psn_no=psn, version=1, insutype="310", insuplc_admdvs="371300", gend="1", age=45,
                                   active=True, coverage_begin=date(2020, 1, 1))
        await PgSettlementStore(conn).upsert_coverage(psn, 1, employee.model_dump(mode="json"))
    settlement = handlers()
    offices = ReimbursementHandlers(settlement)
    lines = [c.FeeLine(feedetl_sn=str(i), med_list_codg=code, cnt=cnt, pric=pric, det_item_fee_sumamt=line_amount(cnt, pric))
             for i, (code, pric, cnt) in enumerate(LINES, 1)]
    total = sum(line.det_item_fee_sumamt for line in lines)
    submit = r.SubmitReimbursement(
        office_ref=ref, reason="system_outage", received_on=date(2026, 4, 2), psn_no=psn, insutype="310",
        insuplc_admdvs="371300", mdtrtarea_admvs="430100", fixmedins_code="H43010200001", hosp_lv="2", med_type="21",
        begntime=datetime(2026, 3, 20, 8), endtime=datetime(2026, 3, 25, 10),
        receipts=[r.Receipt(receipt_no=f"RC{ref}", issued_on=date(2026, 3, 25), amount=total)], fee_details=lines)

    (adjudicated,) = await handle(database, offices.submit, submit)
    assert adjudicated.event_type == "ClaimAdjudicated" and adjudicated.psn_part_amt > 10000
    paid = c.PersonalPartPaid(claim_id=adjudicated.claim_id, setl_id=adjudicated.setl_id, psn_no=psn, acct_pay=10000,
                              acct_mulaid_pay=0, psn_cash_pay=adjudicated.psn_part_amt - 10000, balc=0)
    (settled,) = await handle(database, settlement.complete_settlement, paid)
    assert settled.event_type == "ReimbursementSettled" and settled.acct_pay == 10000
    assert settled.payable_amt == settled.amounts.fund_pay_sumamt + 10000
    async with database.pool.acquire() as conn:
        owed = await conn.fetchval("SELECT sum(credit - debit) FROM fund_entries WHERE account = $1",
                                   f"payable:371300:person:{psn}")
        assert owed == settled.payable_amt

    (asked,) = await handle(database, offices.cancel, r.CancelReimbursement(office_ref=ref, insuplc_admdvs="371300", psn_no=psn))
    assert asked.event_type == "ClaimCancellationAdjudicated"
    refunded = c.PersonalPartRefunded(claim_id=asked.claim_id, cancel_id=asked.cancel_id, setl_id=asked.setl_id,
                                      psn_no=psn, acct_pay=10000, acct_mulaid_pay=0, psn_cash_pay=0, balc=10000)
    (cancelled,) = await handle(database, settlement.cancellation.complete, refunded)
    assert cancelled.event_type == "ReimbursementCancelled"
    async with database.pool.acquire() as conn:
        left = await conn.fetch("SELECT account, sum(debit) - sum(credit) AS net FROM fund_entries WHERE setl_id = $1"
                                " GROUP BY account", adjudicated.setl_id)
        assert left and all(row["net"] == 0 for row in left)
        assert await conn.fetchval("SELECT admissions FROM accumulators WHERE psn_no = $1 AND year = 2026", psn) == 0
