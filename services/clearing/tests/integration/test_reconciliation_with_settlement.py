"""Clearing reconciles against the real settlement engine, on the real Kafka and Postgres.

Settlement and clearing run in this process as `make run` wires them; a stand-in wallet pays every
personal part in cash and refunds it on cancellation, so the claims take their real path: submitted to
settlement, settled (or cancelled) there, published on `claims.outcomes`, recorded by clearing. Then
clearing closes the cycles and checks them against settlement's `GET /v1/settlements`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest

from libs.contracts import claims as c
from libs.contracts.enrollment import CoverageChanged, CrossRegionFiling
from libs.contracts.topics import CLAIMS_OUTCOMES, CLAIMS_SUBMITTED, ENROLLMENT_EVENTS
from services.clearing.bootstrap import ClearingSettings
from services.clearing.bootstrap import bootstrap as clearing_bootstrap
from services.settlement.bootstrap import SettlementSettings
from services.settlement.bootstrap import bootstrap as settlement_bootstrap
from tests.support.auth import bearer
from tests.support.cash_wallet import cash_wallet
from tests.support.claims import outpatient_claim
from tests.support.clients import Publisher, TopicReader, new_id
from tests.support.stack import free_port

pytestmark = pytest.mark.integration

CHANGSHA, LOUDI, TAIYUAN = "430100", "431300", "140100"
# An admission big enough for the funds to pay beyond the deductible: bed, ceftriaxone, appendectomy.
INPATIENT_LINES = (
    ("001102000010000", Decimal("50.00"), Decimal("5")),
    ("XJ01DDA064B002010100367", Decimal("8.80"), Decimal("10")),
    ("003311000010000", Decimal("1500.00"), Decimal("1")),
)


def admission(psn_no: str, hospital: str, treated: str | None = None) -> c.ClaimSubmitted:
    return outpatient_claim(new_id("X"), psn_no, insutype="390", treated=treated, hospital=hospital,
                            lines=INPATIENT_LINES, med_type="21")


@dataclass
class System:
    publisher: Publisher
    outcomes: TopicReader
    clearing_api: httpx.AsyncClient
    clearing_db: asyncpg.Pool
    settlement_db: asyncpg.Pool

    async def enroll(self, psn_no: str, filed_for: str | None = None) -> None:
        """A resident insured in Changsha, with a filing (异地就医备案) for `filed_for` if named."""
        filings = [CrossRegionFiling(filing_id=f"F-{psn_no}", kind="temporary", mdtrtarea_admvs=filed_for,
                                     begndate=date(2020, 1, 1))] if filed_for else []
        await self.publisher.send(ENROLLMENT_EVENTS, psn_no, CoverageChanged(
            psn_no=psn_no, version=1, insutype="390", insuplc_admdvs=CHANGSHA, gend="1", age=40, active=True,
            coverage_begin=date(2020, 1, 1), filings=filings), f"enroll-{psn_no}")
        await self.publisher.flush()
        await until(lambda: self.settlement_db.fetchval("SELECT count(*) = 1 FROM coverage WHERE psn_no = $1", psn_no))

    async def submit(self, message: c.ClaimSubmitted | c.ClaimCancelRequested) -> Any:
        """Send a claim or a cancel request; the next outcome of that claim."""
        seen = len(self.outcomes.by_correlation.get(message.claim_id, []))
        await self.publisher.send(CLAIMS_SUBMITTED, message.psn_no, message, message.claim_id)
        await self.publisher.flush()
        await self.outcomes.wait_for(lambda: len(self.outcomes.by_correlation.get(message.claim_id, [])) > seen, 60)
        return self.outcomes.by_correlation[message.claim_id][seen].payload

    async def ok(self, method: str, path: str) -> Any:
        response = await self.clearing_api.request(method, path)
        assert response.status_code == 200, response.text
        return response.json()


async def until(check: Any, timeout: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("not there in time")
        await asyncio.sleep(0.05)


@pytest.fixture(scope="module")
async def system(own_namespace) -> AsyncIterator[System]:
    env, prefix = own_namespace.env, own_namespace.topic_prefix
    settlement_port, clearing_port = free_port(), free_port()
    settlement, _ = settlement_bootstrap(own_namespace.settings(SettlementSettings, SETTLEMENT_HTTP_PORT=settlement_port))
    clearing, _ = clearing_bootstrap(own_namespace.settings(
        ClearingSettings, CLEARING_HTTP_PORT=clearing_port, SETTLEMENT_URL=f"http://127.0.0.1:{settlement_port}"))
    for runtime in (settlement, clearing):
        await runtime.start()
        await runtime.broker.start()
    clearing_db = await asyncpg.create_pool(own_namespace.dsn("clearing"), min_size=1, max_size=2)
    settlement_db = await asyncpg.create_pool(own_namespace.dsn("settlement"), min_size=1, max_size=2)
    async with Publisher(env["KAFKA_BOOTSTRAP"], prefix) as publisher, \
            TopicReader(env["KAFKA_BOOTSTRAP"], prefix, CLAIMS_OUTCOMES) as outcomes, \
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{clearing_port}", timeout=60, headers=bearer("clearing_desk")) as api:
        wallet = asyncio.create_task(cash_wallet(env["KAFKA_BOOTSTRAP"], prefix, publisher))
        try:
            yield System(publisher, outcomes, api, clearing_db, settlement_db)
        finally:
            wallet.cancel()
            await asyncio.gather(wallet, return_exceptions=True)
    await clearing_db.close()
    await settlement_db.close()
    for runtime in (clearing, settlement):
        await runtime.broker.stop()
        await runtime.stop()


async def test_claims_settled_and_cancelled_by_settlement_close_into_cycles_that_reconcile(system: System) -> None:
    people = [new_id("P") for _ in range(4)]
    for psn, filed_for in zip(people, (TAIYUAN, TAIYUAN, LOUDI, None), strict=True):
        await system.enroll(psn, filed_for)
    claims = [
        admission(people[0], "H14010001", treated=TAIYUAN), admission(people[1], "H14010001", treated=TAIYUAN),
        admission(people[2], "H43130001", treated=LOUDI), admission(people[3], "H43010001"),  # the last is local
    ]
    settled = [await system.submit(claim) for claim in claims]
    assert [s.event_type for s in settled] == ["ClaimSettled"] * 4, settled
    assert all(s.amounts.fund_pay_sumamt > 0 for s in settled), [s.explanation for s in settled]
    undone = claims[1]
    cancelled = await system.submit(c.ClaimCancelRequested(
        claim_id=undone.claim_id, cancel_id=new_id("K"), fixmedins_code=undone.fixmedins_code, psn_no=undone.psn_no,
        reason="billed twice"))
    assert cancelled.event_type == "ClaimCancelled", cancelled

    cross_region = [s.setl_id for s in settled[:3]]
    await until(lambda: system.clearing_db.fetchval(
        "SELECT count(DISTINCT (setl_id, kind)) = 4 FROM obligations WHERE setl_id = ANY($1)", cross_region))
    assert await system.clearing_db.fetchval("SELECT count(*) FROM obligations WHERE setl_id = $1", settled[3].setl_id) == 0

    cycles = {cy["scope_key"]: cy["cycle_id"] for cy in (await system.ok("GET", "/v1/cycles"))["cycles"]}
    assert set(cycles) == {"national", "provincial-43"}
    for cycle_id in cycles.values():
        await system.ok("POST", f"/v1/cycles/{cycle_id}/close")
    national = await system.ok("POST", f"/v1/cycles/{cycles['national']}/reconciliation")
    provincial = await system.ok("POST", f"/v1/cycles/{cycles['provincial-43']}/reconciliation")

    assert national["balanced"] and provincial["balanced"], (national, provincial)
    paid = [s.amounts.fund_pay_sumamt for s in settled]
    assert (national["clearing_setl_cnt"], national["clearing_fund_pay_sumamt"]) == (3, paid[0])  # the second nets out
    assert (provincial["clearing_setl_cnt"], provincial["clearing_fund_pay_sumamt"]) == (1, paid[2])
    positions = (await system.ok("GET", f"/v1/cycles/{cycles['national']}/net-positions"))
    assert {p["admdvs"]: p["net"] for p in positions["positions"]} == {CHANGSHA: -paid[0], TAIYUAN: paid[0]}
