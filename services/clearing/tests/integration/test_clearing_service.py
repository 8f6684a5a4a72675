"""From settled and cancelled claims on the real Kafka to closed, reconciled cycles on the real Postgres.

The clearing service runs in this process as `make run` wires it (consumer, HTTP API, closing
schedule), with a clock the last test moves forward. Outcomes are published onto `claims.outcomes` as
the settlement engine publishes them; a stub answers for the engine's records (`stub_settlement.py`).
Each test works in its own clearing scope (one province's platform, or the national one), so the tests
share one service without sharing a cycle; the last one checks the invariants over everything.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from libs.contracts.claims import ClaimCancelled, ClaimSettled
from libs.contracts.envelope import Envelope
from libs.contracts.registry import encode
from libs.contracts.topics import CLAIMS_OUTCOMES, CLEARING_EVENTS
from services.clearing.bootstrap import ClearingSettings, bootstrap
from services.clearing.domain import CHINA_TIME
from services.clearing.tests.integration.outcomes import cancelled, settled, settlement_record
from services.clearing.tests.integration.stub_settlement import StubSettlement
from tests.support.auth import bearer
from tests.support.clients import Publisher, TopicReader
from tests.support.stack import free_port

pytestmark = pytest.mark.integration

CONSUMER = "clearing-claims.outcomes"


class ShiftedClock:
    """The real clock, moved forward by `offset` when a test needs a period to have ended."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(CHINA_TIME) + self.offset


@dataclass
class Clearing:
    api: httpx.AsyncClient
    db: asyncpg.Pool
    publisher: Publisher
    settlement: StubSettlement
    events: TopicReader
    clock: ShiftedClock
    cross_region: set[str] = field(default_factory=set)

    async def publish(self, *outcomes: ClaimSettled | ClaimCancelled) -> list[Envelope[Any]]:
        sent = [await self.publisher.send(CLAIMS_OUTCOMES, o.fixmedins_code, o, o.claim_id) for o in outcomes]
        await self.publisher.flush()
        self.cross_region |= {o.setl_id for o in outcomes if o.insuplc_admdvs != o.mdtrtarea_admvs}
        return sent

    async def consumed(self, *envelopes: Envelope[Any]) -> None:
        ids = [str(e.event_id) for e in envelopes]
        await until(lambda: self.db.fetchval(  # a parked message leaves the inbox for dead_letters (replayable)
            "SELECT count(*) = $2 FROM (SELECT message_id FROM inbox WHERE consumer = $1 AND message_id = ANY($3)"
            " UNION SELECT message_id FROM dead_letters WHERE consumer = $1 AND message_id = ANY($3)) handled",
            CONSUMER, len(ids), ids,
        ))

    async def deliver(self, *outcomes: ClaimSettled | ClaimCancelled) -> None:
        await self.consumed(*await self.publish(*outcomes))

    async def rows(self, setl_id: str) -> list[tuple[str, str, str, int, str | None]]:
        found = await self.db.fetch(
            "SELECT cycle_id, kind, fund_pay_type, amount, origin_cycle_id FROM obligations WHERE setl_id = $1"
            " ORDER BY obligation_id", setl_id,
        )
        return [tuple(r) for r in found]

    async def open_cycle(self, scope_key: str) -> str:
        cycles = (await self.api.get("/v1/cycles", params={"scope_key": scope_key})).json()["cycles"]
        return next(c["cycle_id"] for c in cycles if c["status"] == "open")

    async def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.api.request(method, path, **kwargs)
        assert response.status_code == 200, response.text
        return response.json()


async def until(check: Callable[[], Awaitable[Any]], timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("clearing did not get there in time")
        await asyncio.sleep(0.05)


@pytest.fixture(scope="module")
async def clearing(own_namespace) -> AsyncIterator[Clearing]:
    namespace = own_namespace
    stub, clock, port = StubSettlement(), ShiftedClock(), free_port()
    settings = namespace.settings(ClearingSettings, CLEARING_HTTP_PORT=port, SETTLEMENT_URL=stub.url,
                                  CLEARING_SCHEDULE_INTERVAL_SECONDS=0.2)
    runtime, _ = bootstrap(settings, clock=clock)
    await stub.start()
    await runtime.start()
    await runtime.broker.start()
    bootstrap_servers, prefix = namespace.stack.kafka_bootstrap, namespace.topic_prefix
    db = await asyncpg.create_pool(namespace.dsn("clearing"), min_size=1, max_size=2)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30, headers=bearer("clearing_desk")) as api, \
            Publisher(bootstrap_servers, prefix) as publisher, \
            TopicReader(bootstrap_servers, prefix, CLEARING_EVENTS) as events:
        yield Clearing(api, db, publisher, stub, events, clock)
    await db.close()
    await runtime.broker.stop()
    await runtime.stop()
    await stub.stop()


def cycle_path(cycle_id: str) -> str:
    return f"/v1/cycles/{cycle_id}"


CHANGSHA, TAIYUAN, GUIYANG = "430100", "140100", "520100"
YUAN = 100


async def test_the_documented_example_closes_nets_to_zero_and_reconciles(clearing: Clearing) -> None:
    hospital = {region: f"H{region}" for region in (CHANGSHA, TAIYUAN, GUIYANG)}
    flows = [("N1", CHANGSHA, TAIYUAN, 5_000), ("N2", TAIYUAN, CHANGSHA, 2_000), ("N3", GUIYANG, CHANGSHA, 3_000),
             ("N4", CHANGSHA, GUIYANG, 1_000), ("N5", TAIYUAN, GUIYANG, 4_000)]
    claims = [settled(s, insured=i, treated=t, hospital=hospital[t], funds={"hifp": y * YUAN - 50, "hifmi": 50})
              for s, i, t, y in flows]
    local = settled("N-local", insured=CHANGSHA, treated=CHANGSHA, hospital=hospital[CHANGSHA], funds={"hifp": 700})
    undone = settled("N6", insured=CHANGSHA, treated=TAIYUAN, hospital=hospital[TAIYUAN], funds={"hifp": 900 * YUAN})
    outcomes: list[ClaimSettled | ClaimCancelled] = [*claims, local, undone, cancelled(undone)]
    await clearing.deliver(*outcomes)
    await clearing.ok("POST", "/v1/prepayments", json={"entry_id": "advance-430100-1", "scope_key": "national",
                                                       "admdvs": CHANGSHA, "kind": "advance", "amount": 1_500 * YUAN})
    january = await clearing.open_cycle("national")

    closed = await clearing.ok("POST", cycle_path(january) + "/close")
    positions = await clearing.ok("GET", cycle_path(january) + "/net-positions")
    assert {p["admdvs"]: (p["net"], p["prepayment_applied"], p["cash_to_pay"], p["cash_to_receive"])
            for p in positions["positions"]} == {
        CHANGSHA: (-1_000 * YUAN, 1_000 * YUAN, 0, 0),
        TAIYUAN: (-1_000 * YUAN, 0, 1_000 * YUAN, 0),
        GUIYANG: (2_000 * YUAN, 0, 0, 2_000 * YUAN),
    }
    assert positions["sum_of_nets"] == 0 and closed["net_positions"] == positions["positions"]
    assert await clearing.rows("N-local") == []
    taiyuan_items = await clearing.ok("GET", cycle_path(january) + f"/institutions/{hospital[TAIYUAN]}/items")
    assert [i["setl_id"] for i in taiyuan_items["items"]] == ["N1"]  # N6 settled and cancelled: nets to nothing

    clearing.settlement.records = [settlement_record(o) for o in outcomes]
    report = await clearing.ok("POST", cycle_path(january) + "/reconciliation")
    assert report["balanced"] and report["mismatches"] == []
    assert (report["clearing_fund_pay_sumamt"], report["clearing_setl_cnt"]) == (15_000 * YUAN, 7)

    clearing.settlement.records[0]["funds"]["hifmi"] = 49
    clearing.settlement.records[0]["fund_pay_sumamt"] -= 1
    again = await clearing.ok("POST", cycle_path(january) + "/reconciliation")
    assert [(m["kind"], m["setl_id"], m["fund_pay_type"], m["clearing_amount"], m["settlement_amount"])
            for m in again["mismatches"]] == [("amount_differs", "N1", "hifmi", 50, 49)]
    assert await clearing.ok("GET", cycle_path(january) + "/reconciliation") == again

    await clearing.events.wait_for(lambda: len(clearing.events.by_correlation[january]) >= 3)
    kinds = [e.event_type for e in clearing.events.by_correlation[january]]
    assert kinds == ["ClearingCycleClosed", "ReconciliationCompleted", "ReconciliationCompleted"]
    assert clearing.events.by_correlation["national"][0].payload.balance == 1_500 * YUAN


JINAN, LINYI = "370100", "371300"


async def test_a_redelivered_event_changes_nothing_and_a_contradicting_one_is_parked(clearing: Clearing) -> None:
    claim = settled("R1", insured=LINYI, treated=JINAN, hospital="H370100", funds={"hifp": 600, "hifmi": 40})
    [first] = await clearing.publish(claim)
    await clearing.consumed(first)
    before = await clearing.rows("R1")

    await clearing.publisher.send_raw(CLAIMS_OUTCOMES, claim.fixmedins_code, encode(first))  # the same message again
    republished = await clearing.publish(claim)  # the same fact under a new message id
    contradicting = await clearing.publish(claim.model_copy(update={
        "setldetail": [claim.setldetail[0].model_copy(update={"fund_payamt": 700}), claim.setldetail[1]],
        "amounts": claim.amounts.model_copy(update={"hifp_pay": 700, "fund_pay_sumamt": 740}),
    }))
    barrier = await clearing.publish(settled("R2", insured=LINYI, treated=JINAN, hospital="H370100", funds={"hifp": 1}))
    await clearing.consumed(*republished, *contradicting, *barrier)  # same key, same partition: all handled before

    assert len(before) == 2 and await clearing.rows("R1") == before
    parked = await clearing.db.fetch("SELECT reason FROM dead_letters WHERE consumer = $1", CONSUMER)
    [reason] = [r["reason"] for r in parked if "Settlement R1 " in r["reason"]]
    assert "CONFLICTING_REDELIVERY" in reason


DATONG = "140200"


async def test_a_cancellation_after_its_cycle_closed_lands_in_the_next_cycle(clearing: Clearing) -> None:
    claim = settled("L1", insured=DATONG, treated=TAIYUAN, hospital="H140100", funds={"hifp": 8_000})
    await clearing.deliver(claim)
    first = await clearing.open_cycle("provincial-14")
    closed = await clearing.ok("POST", cycle_path(first) + "/close")

    await clearing.deliver(cancelled(claim))
    second = closed["next_cycle_id"]
    assert await clearing.rows("L1") == [
        (second, "cancelled", "hifp", -8_000, first), (first, "settled", "hifp", 8_000, None),
    ]
    assert (await clearing.ok("GET", cycle_path(first)))["bilateral"] == [
        {"insuplc_admdvs": DATONG, "mdtrtarea_admvs": TAIYUAN, "amount": 8_000},
    ]  # the closed cycle was not edited

    await clearing.ok("POST", cycle_path(second) + "/close")
    positions = (await clearing.ok("GET", cycle_path(second) + "/net-positions"))["positions"]
    assert {p["admdvs"]: p["net"] for p in positions} == {TAIYUAN: -8_000, DATONG: 8_000}


ZUNYI = "520300"


async def test_a_rolled_back_item_returns_to_the_next_cycle_and_moves_no_money_between_regions(
    clearing: Clearing,
) -> None:
    hospital = "H520100"
    await clearing.deliver(*(settled(s, insured=ZUNYI, treated=GUIYANG, hospital=hospital, funds={"hifp": amount})
                             for s, amount in (("B1", 3_000), ("B2", 500))))
    first = await clearing.open_cycle("provincial-52")
    second = (await clearing.ok("POST", cycle_path(first) + "/close"))["next_cycle_id"]
    items = cycle_path(first) + f"/institutions/{hospital}/items"
    await clearing.ok("POST", items + "/confirm", json={"setl_ids": ["B2"]})
    rolled = await clearing.ok("POST", items + "/rollback", json={"setl_ids": ["B1"]})
    assert (rolled["setl_ids"], rolled["returned_to_cycle_id"]) == (["B1"], second)
    detail = await clearing.ok("GET", items)
    assert [(i["setl_id"], i["status"]) for i in detail["items"]] == [("B1", "rolled_back"), ("B2", "confirmed")]
    assert (detail["confirmed"], detail["rolled_back"]) == (500, 3_000)

    await clearing.ok("POST", cycle_path(second) + "/close")
    returned = await clearing.ok("GET", cycle_path(second) + f"/institutions/{hospital}/items")
    assert [(i["setl_id"], i["amount"], i["status"]) for i in returned["items"]] == [("B1", 3_000, "pending")]
    assert (await clearing.ok("GET", cycle_path(second) + "/net-positions"))["positions"] == []
    [statement] = (await clearing.ok("GET", cycle_path(second) + "/statements/institutions"))["statements"]
    assert (statement["fixmedins_code"], statement["owed"]) == (hospital, 3_000)
    await clearing.events.wait_for(lambda: len(clearing.events.by_correlation[first]) >= 3)
    assert [e.event_type for e in clearing.events.by_correlation[first]] == [
        "ClearingCycleClosed", "ClearingItemsConfirmed", "ClearingItemsRolledBack",
    ]


GUANGZHOU, SHENZHEN = "440100", "440300"


async def test_the_schedule_closes_a_cycle_once_its_period_has_ended(clearing: Clearing) -> None:
    await clearing.deliver(settled("K1", insured=SHENZHEN, treated=GUANGZHOU, hospital="H440100",
                                   funds={"hifp": 100}))
    cycle_id = await clearing.open_cycle("provincial-44")
    period_end = (await clearing.ok("GET", cycle_path(cycle_id)))["cycle"]["period_end"]
    due = datetime.combine(datetime.fromisoformat(period_end).date(), time(0, 1), CHINA_TIME)
    assert (await clearing.ok("GET", cycle_path(cycle_id)))["cycle"]["status"] == "open"

    clearing.clock.offset = due - datetime.now(CHINA_TIME)
    await until(lambda: _closed(clearing, cycle_id))
    cycle = (await clearing.ok("GET", cycle_path(cycle_id)))["cycle"]
    assert cycle["close_reason"] == "schedule"
    assert await clearing.open_cycle("provincial-44") == f"provincial-44/{period_end}"
    await clearing.events.wait_for(lambda: clearing.events.by_correlation[cycle_id])
    assert clearing.events.by_correlation[cycle_id][0].payload.close_reason == "schedule"


async def _closed(clearing: Clearing, cycle_id: str) -> bool:
    return (await clearing.ok("GET", cycle_path(cycle_id)))["cycle"]["status"] == "closed"


async def test_over_everything_above_nets_sum_to_zero_and_each_settlement_sits_in_exactly_one_cycle(
    clearing: Clearing,
) -> None:
    sums = await clearing.db.fetch("SELECT cycle_id, sum(net) AS total FROM net_positions GROUP BY cycle_id")
    assert sums and all(r["total"] == 0 for r in sums)
    cycles_of = await clearing.db.fetch(
        "SELECT setl_id, count(DISTINCT cycle_id) AS cycles FROM obligations WHERE kind = 'settled' GROUP BY setl_id")
    assert {r["setl_id"]: r["cycles"] for r in cycles_of} == dict.fromkeys(clearing.cross_region, 1)
