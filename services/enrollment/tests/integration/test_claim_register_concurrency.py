"""Two runs of claim outcomes for one person at once (two enrollment processes consuming different
institutions' partitions): the second waits for the first and reads the register as it committed."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from libs.contracts.claims import ClaimSettled
from services.enrollment.adapters.person_cache import PersonCache
from services.enrollment.service_layer.handlers import EnrollmentService
from services.enrollment.tests.integration.conftest import registered
from services.enrollment.tests.integration.test_claims_batch_pg import RecordingTransaction, pg_service
from services.enrollment.tests.unit.claim_runs import envelopes
from services.enrollment.tests.unit.service_kit import settled_claim

pytestmark = pytest.mark.integration


def service() -> EnrollmentService:
    return pg_service(PersonCache(100))


async def test_a_run_waiting_on_the_person_reads_the_year_total_the_first_run_committed(connect) -> None:
    first, second = await connect(), await connect()
    psn_no = await registered(first)
    when = datetime(2026, 3, 1, 9)
    one = service().claims_batch_table()
    holding = first.transaction()
    await holding.start()
    await one[ClaimSettled](
        RecordingTransaction(first), envelopes([settled_claim("A", psn_no, when, 1_000)]))

    async def then_the_other() -> None:
        async with second.transaction():
            await one[ClaimSettled](
                RecordingTransaction(second), envelopes([settled_claim("B", psn_no, when, 700)]))

    waiting = asyncio.create_task(then_the_other())
    await asyncio.sleep(0.3)
    assert not waiting.done()  # held on the person's row
    await holding.commit()
    await asyncio.wait_for(waiting, 10)
    total = await first.fetchval("SELECT fund_paid FROM fund_payment_years WHERE psn_no = $1 AND settlement_year = 2026",
                                 psn_no)
    changes = await first.fetchval("SELECT count(*) FROM person_events WHERE psn_no = $1"
                                   " AND event_type = 'FundPaymentYearChanged'", psn_no)
    assert (total, changes) == (1_700, 1)
