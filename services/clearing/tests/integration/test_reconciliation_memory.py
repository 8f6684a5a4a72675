"""Reconciling a large cycle holds a chunk of it in memory, never the whole cycle.

A closed cycle of 50 000 items is written with one COPY into a database of its own; the settlement
engine's records are served a page at a time by an in-process transport that builds each page when it is
asked for, as the real engine reads its pages from its database. The peak of `tracemalloc` while
clearing reconciles must stay under a bound that holding the whole cycle (both sides' 50 000 rows as
Python objects, as reconciliation did before it streamed) exceeds several times over; the stored
report must still be exact.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import AsyncIterator

import asyncpg
import httpx
import orjson
import pytest

from libs.messaging.postgres import PgDatabase
from services.clearing.adapters.repository import PostgresClearingRepository
from services.clearing.adapters.settlement_client import HttpSettlementRecords
from services.clearing.domain import CycleCalendar
from services.clearing.service_layer.commands import Reconcile
from services.clearing.service_layer.service import ClearingService
from services.clearing.tests.integration.databases import clearing_database
from services.clearing.tests.unit.builders import CHANGSHA, TAIYUAN, TAIYUAN_HOSPITAL, at

pytestmark = pytest.mark.integration

ITEMS = 50_000
CYCLE = "national/2025-01-01"
BOUND = 12 * 2**20  # bytes. Streamed: 5.5 MiB (a page and a chunk); whole-cycle (before 2026-12-05): 94 MiB
EVERY = 1_000  # every thousandth item: the engine's amount differs by one fen


def _setl_id(i: int) -> str:
    return f"S{i:06d}"


def _obligations() -> list[tuple]:
    return [(f"{_setl_id(i)}/settled/hifp", CYCLE, "settled", _setl_id(i), f"C{i}", TAIYUAN_HOSPITAL, CHANGSHA,
             TAIYUAN, "hifp", 100 + i % 7, at(1, 10), at(1, 10), None) for i in range(ITEMS)]


def _engine() -> httpx.MockTransport:
    """`GET /v1/settlements`: the cycle's items a page at a time, each built when it is asked for."""

    def page(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params.get("after", "-1")) + 1
        end = min(ITEMS, start + int(request.url.params["limit"]))
        items = [{"setl_id": _setl_id(i), "claim_id": f"C{i}", "kind": "settled", "fixmedins_code": TAIYUAN_HOSPITAL,
                  "insuplc_admdvs": CHANGSHA, "mdtrtarea_admvs": TAIYUAN, "occurred_at": at(1, 10).isoformat(),
                  "funds": {"hifp": 100 + i % 7 + (i % EVERY == 0)}, "fund_pay_sumamt": 100 + i % 7 + (i % EVERY == 0)}
                 for i in range(start, end)]
        return httpx.Response(200, content=orjson.dumps({"items": items, "next_after": str(end - 1) if end < ITEMS else None}))

    return httpx.MockTransport(page)


@pytest.fixture(scope="module")
async def pool(namespace) -> AsyncIterator[asyncpg.Pool]:
    async with clearing_database(namespace, "clearing_memory") as created:
        async with created.acquire() as conn:
            await conn.execute(
                "INSERT INTO cycles (cycle_id, scope_key, period_start, period_end, opened_at, status, closed_at, close_reason)"
                " VALUES ($1, 'national', '2025-01-01', '2025-02-01', $2, 'closed', $3, 'command')",
                CYCLE, at(1, 1), at(2, 1))
            await conn.copy_records_to_table("obligations", records=_obligations(), columns=[
                "obligation_id", "cycle_id", "kind", "setl_id", "claim_id", "fixmedins_code", "insuplc_admdvs",
                "mdtrtarea_admvs", "fund_pay_type", "amount", "occurred_at", "arrived_at", "origin_cycle_id"])
        yield created


async def test_a_cycle_of_fifty_thousand_items_is_reconciled_within_a_bounded_memory(pool: asyncpg.Pool) -> None:
    service = ClearingService(
        PgDatabase(pool), PostgresClearingRepository, HttpSettlementRecords("http://engine", transport=_engine()),
        clock=lambda: at(2, 2), calendar=CycleCalendar("month", 1),
    )
    tracemalloc.start()
    try:
        await service.reconcile(Reconcile(CYCLE))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    run = await pool.fetchrow("SELECT * FROM reconciliations WHERE cycle_id = $1", CYCLE)
    assert run is not None, CYCLE
    assert (run["clearing_setl_cnt"], run["settlement_setl_cnt"]) == (ITEMS, ITEMS)
    assert run["settlement_fund_pay_sumamt"] - run["clearing_fund_pay_sumamt"] == ITEMS // EVERY
    differs = await pool.fetch("SELECT setl_id FROM reconciliation_mismatches WHERE kind = 'amount_differs' ORDER BY setl_id")
    assert [r["setl_id"] for r in differs] == [_setl_id(i) for i in range(0, ITEMS, EVERY)]
    assert peak < BOUND, f"reconciling {ITEMS} items peaked at {peak / 2**20:.1f} MiB"

