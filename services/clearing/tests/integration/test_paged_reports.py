"""Clearing's lists over HTTP on the real Postgres: read a page at a time, the pages are the list.

Followed by `next_after`, small pages chain to exactly the list one big page gives, in key order,
with the whole list's totals on every page; rows inserted between two page reads never make a row
that existed appear twice or not at all; `limit` is capped at 1000 and a cursor that is not one is a
422 naming `after`, never a 500.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import asyncpg
import httpx
import pytest

from libs.messaging.postgres import PgDatabase
from services.clearing.adapters.repository import PostgresClearingRepository
from services.clearing.domain import (
    NATIONAL,
    ClearingCycle,
    ClearingScope,
    Confirmation,
    CycleCalendar,
    NetPosition,
    Obligation,
    PrepaymentEntry,
)
from services.clearing.entrypoints.http import create_app
from services.clearing.service_layer.service import ClearingService
from services.clearing.tests.integration.databases import clearing_database
from services.clearing.tests.unit.builders import at
from services.clearing.tests.unit.fakes import FakeSettlementRecords
from tests.support.auth import bearer
from tests.support.pg import connection

pytestmark = pytest.mark.integration

JANUARY = "national/2025-01-01"
CYCLE = f"/v1/cycles/{JANUARY}"
REGIONS = ["110100", "120100", "130100", "140100", "150100", "210100", "220100", "310100", "320100", "430100"]
INSTITUTIONS = ["H1", "H10", "H2", "H3", "h4"]


def obligations() -> list[Obligation]:
    rows = []
    for i in range(60):  # each region insures patients treated in six others
        insured, treatment = REGIONS[i % 10], REGIONS[(i % 10 + i // 10 + 1) % 10]
        rows.append(Obligation(f"S{i:02d}/settled/hifp", JANUARY, "settled", f"S{i:02d}", f"C{i}",
                               INSTITUTIONS[i % 5], insured, treatment, "hifp", 100 + i, at(1, 10), at(1, 10)))
    return rows


@pytest.fixture(scope="module")
async def pool(namespace) -> AsyncIterator[asyncpg.Pool]:
    async with clearing_database(namespace, "clearing_pages", max_size=3) as created:
        async with created.acquire() as conn:
            repo = PostgresClearingRepository(connection(conn))
            january = ClearingCycle.first(NATIONAL, at(1, 1))
            await repo.add_cycle(replace(january, status="closed", closed_at=at(2, 1), close_reason="command"))
            for month in range(2, 8):
                await repo.add_cycle(replace(ClearingCycle.first(NATIONAL, at(month, 1)), status="closed",
                                             closed_at=at(month + 1, 1), close_reason="command"))
            await repo.add_cycle(ClearingCycle.first(ClearingScope("provincial", "43"), at(1, 1)))
            await repo.add_obligations(obligations())
            await repo.add_net_positions([NetPosition(JANUARY, r, gross_payable=10 * i, gross_receivable=7 * i,
                                                      prepayment_applied=i % 3) for i, r in enumerate(REGIONS)])
            await repo.add_confirmations([Confirmation(JANUARY, "S00", "H1", "confirmed", 100, at(2, 2))])
            await repo.add_prepayments([PrepaymentEntry(f"A{r}", "national", r, "advanced", 1_000 + i, at(1, 1))
                                        for i, r in enumerate(REGIONS)])
        yield created


@pytest.fixture
async def api(pool: asyncpg.Pool) -> AsyncIterator[httpx.AsyncClient]:
    service = ClearingService(PgDatabase(pool), PostgresClearingRepository, FakeSettlementRecords(),
                              clock=lambda: at(9, 1), calendar=CycleCalendar("month", 1))
    transport = httpx.ASGITransport(app=create_app(service))
    async with httpx.AsyncClient(transport=transport, base_url="http://clearing", headers=bearer("clearing_desk")) as client:
        yield client


LISTS = [  # path, the list's field, its key, the totals every page carries
    ("/v1/cycles", "cycles", "cycle_id", ()),  # the key: strictly increasing, in codepoint order
    (f"{CYCLE}/net-positions", "positions", "admdvs", ("sum_of_nets", "prepayment_applied", "cash_to_pay", "cash_to_receive")),
    (f"{CYCLE}/statements/regions/140100", "counterparties", "admdvs", ("position",)),
    (f"{CYCLE}/statements/institutions", "statements", ("fixmedins_code", "mdtrtarea_admvs"), ()),
    (f"{CYCLE}/institutions/H1/items", "items", "setl_id", ("confirmed", "pending", "rolled_back")),
    ("/v1/prepayments/national", "balances", "admdvs", ()),
]


async def pages(api: httpx.AsyncClient, path: str, limit: int, between: Any = None) -> list[dict[str, Any]]:
    answers, after = [], None
    while True:
        answer = await api.get(path, params={"limit": limit, **({"after": after} if after else {})})
        assert answer.status_code == 200, answer.text
        answers.append(answer.json())
        if (after := answers[-1]["next_after"]) is None:
            return answers
        if between is not None:
            await between(len(answers))


@pytest.mark.parametrize(("path", "field", "key", "totals"), LISTS, ids=[f for _, f, _, _ in LISTS])
async def test_small_pages_chain_to_the_whole_list_with_the_whole_lists_totals(
    api: httpx.AsyncClient, path: str, field: str, key: str | tuple[str, str], totals: tuple[str, ...],
) -> None:
    [whole] = await pages(api, path, 1000)
    assert len(whole[field]) > 3
    for limit in (1, 3):
        answers = await pages(api, path, limit)
        assert all(len(a[field]) <= limit for a in answers)
        assert [row for a in answers for row in a[field]] == whole[field]
        assert all({t: a[t] for t in totals} == {t: whole[t] for t in totals} for a in answers)
    keys = [tuple(row[k] for k in key) if isinstance(key, tuple) else row[key] for row in whole[field]]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)  # codepoint order: "H10" < "H2" < "h4"


async def test_totals_are_the_whole_lists_not_the_pages(api: httpx.AsyncClient) -> None:
    [whole] = await pages(api, f"{CYCLE}/net-positions", 1000)
    first = (await api.get(f"{CYCLE}/net-positions", params={"limit": 2})).json()
    assert first["cash_to_pay"] == sum(p["cash_to_pay"] for p in whole["positions"])
    items = (await api.get(f"{CYCLE}/institutions/H1/items", params={"limit": 1})).json()
    assert (items["confirmed"], items["pending"]) == (100, sum(o.amount for o in obligations() if o.fixmedins_code == "H1") - 100)


async def test_rows_inserted_between_pages_never_repeat_or_hide_a_row_that_was_there(
    api: httpx.AsyncClient, pool: asyncpg.Pool,
) -> None:
    [cycles_before] = await pages(api, "/v1/cycles", 1000)
    [balances_before] = await pages(api, "/v1/prepayments/national", 1000)

    inserted = iter(range(1, 5))

    async def insert(_: int) -> None:  # after each of the first four pages: one row before the cursor, one after
        n = next(inserted, None)
        if n is None:
            return
        async with pool.acquire() as conn:
            repo = PostgresClearingRepository(connection(conn))
            for scope in (f"provincial-{10 + n}", f"provincial-{50 + n}"):
                await repo.add_cycle(ClearingCycle.first(ClearingScope.from_key(scope), at(1, 1)))
            await repo.add_prepayments([PrepaymentEntry(f"N{n}{r}", "national", r, "advanced", 1, at(1, 2))
                                        for r in (f"{n:02d}0100", f"9{n % 10}{n // 10}100")])

    for path, field, key, before in (("/v1/cycles", "cycles", "cycle_id", cycles_before),
                                     ("/v1/prepayments/national", "balances", "admdvs", balances_before)):
        read = [row[key] for a in await pages(api, path, 2, insert) for row in a[field]]
        assert len(read) == len(set(read))
        assert {row[key] for row in before[field]} <= set(read)


@pytest.mark.parametrize("path", [p for p, *_ in LISTS] + [f"{CYCLE}/reconciliation"])
async def test_a_page_is_at_most_a_thousand_entries(api: httpx.AsyncClient, path: str) -> None:
    refused = await api.get(path, params={"limit": 1001})
    assert (refused.status_code, refused.json()["reason_code"]) == (422, "INVALID_REQUEST")
    assert "limit" in refused.json()["reason"]


@pytest.mark.parametrize("after", ["S1", "S1|settled", "S1|paid|hifp", "x" * 201])
async def test_a_reconciliation_cursor_that_is_not_one_is_a_422_naming_after(api: httpx.AsyncClient, after: str) -> None:
    await api.post(f"{CYCLE}/reconciliation")
    refused = await api.get(f"{CYCLE}/reconciliation", params={"after": after})
    assert (refused.status_code, refused.json()["reason_code"]) == (422, "INVALID_REQUEST")
    assert "after" in refused.json()["reason"]
