"""Settlement's lists over HTTP on the real Postgres, read a page at a time at the database.

The settlements list (what clearing reconciles against), the ledger's balances and one claim's ledger
entries: small pages followed by `next_after` chain to exactly the list one big page gives, in key
order; claims settled while a reader pages do not make a listed claim repeat or vanish; a page is at
most 1000 entries, and a cursor that is not one is a 422 naming `after`, never a 500.

The claims are copies of one claim the running engine settled, inserted straight into its table with
chosen times (several at the same instant, some also cancelled), so the order's ties are exercised.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from services.settlement.tests.integration.test_settlement_flows import admission
from tests.support.auth import bearer
from tests.support.clients import new_id

pytestmark = pytest.mark.integration

T0 = datetime(2031, 3, 1, tzinfo=UTC)  # a window no other test settles in
WINDOW = {"from": T0.isoformat(), "to": (T0 + timedelta(days=1)).isoformat()}


async def copies(settlement, template: str, *times: tuple[int, bool]) -> list[str]:
    """Copies of the claim `template`, settled `minutes` after T0 (and cancelled an hour later if asked)."""
    conn = await asyncpg.connect(settlement.namespace.dsn("settlement"))
    try:
        found = await conn.fetchrow("SELECT * FROM claims WHERE claim_id = $1", template)
        assert found is not None, template
        row = dict(found)
        made = []
        for minutes, cancelled in times:
            claim_id = new_id("PG")
            settled_at = T0 + timedelta(minutes=minutes)
            values = {**row, "claim_id": claim_id, "setl_id": f"S{claim_id}", "settled_at": settled_at,
                      "status": "cancelled" if cancelled else "settled",
                      "cancelled_at": settled_at + timedelta(hours=1) if cancelled else None,
                      "cancel_id": f"X{claim_id}" if cancelled else None}
            await conn.execute(f"INSERT INTO claims ({', '.join(values)}) VALUES"
                               f" ({', '.join(f'${i}' for i in range(1, len(values) + 1))})", *values.values())
            made.append(f"S{claim_id}")
        return made
    finally:
        await conn.close()


async def pages(http: httpx.AsyncClient, path: str, field: str, limit: int, params: dict[str, Any] | None = None,
                between: Callable[[], Awaitable[Any]] | None = None) -> list[dict[str, Any]]:
    read, after = [], None
    while True:
        answer = await http.get(path, params={**(params or {}), "limit": limit, **({"after": after} if after else {})})
        assert answer.status_code == 200, answer.text
        read += answer.json()[field]
        if (after := answer.json()["next_after"]) is None:
            return read
        if between is not None:
            await between()


@pytest.fixture(scope="module")
async def template(settlement) -> str:
    psn = new_id("R")
    await settlement.enroll(psn)
    return (await settlement.submit(admission(psn, datetime(2026, 7, 3, 9)))).claim_id


def key(item: dict[str, Any]) -> tuple[datetime, str, str]:
    return datetime.fromisoformat(item["occurred_at"]), item["kind"], item["setl_id"]


async def test_the_settlements_list_chains_page_by_page_in_time_order_ties_included(settlement, template: str) -> None:
    await copies(settlement, template, (5, False), (5, False), (5, True), (7, False), (9, True), (9, False), (60, False))
    async with httpx.AsyncClient(base_url=settlement.url, headers=bearer("operator")) as http:
        whole = await pages(http, "/v1/settlements", "items", 1000, WINDOW)
        assert len(whole) == 9  # seven settled, two of them also cancelled
        assert [key(i) for i in whole] == sorted(key(i) for i in whole) and len({key(i) for i in whole}) == 9
        for limit in (1, 2, 4):
            assert await pages(http, "/v1/settlements", "items", limit, WINDOW) == whole


async def test_claims_settled_while_a_reader_pages_never_repeat_or_hide_a_listed_one(settlement, template: str) -> None:
    window = {"from": (T0 + timedelta(days=2)).isoformat(), "to": (T0 + timedelta(days=3)).isoformat()}
    minutes = iter(range(2 * 24 * 60 + 1, 2 * 24 * 60 + 100, 7))
    await copies(settlement, template, *((next(minutes), False) for _ in range(6)))

    async def settle_more() -> None:  # one before every cursor so far, one after
        await copies(settlement, template, (2 * 24 * 60, False), (next(minutes), False))

    async with httpx.AsyncClient(base_url=settlement.url, headers=bearer("operator")) as http:
        before = await pages(http, "/v1/settlements", "items", 1000, window)
        read = await pages(http, "/v1/settlements", "items", 2, window, settle_more)
    assert len({key(i) for i in read}) == len(read)
    assert {key(i) for i in before} <= {key(i) for i in read}


async def test_a_claims_ledger_entries_and_the_ledgers_balances_are_paged(settlement, template: str) -> None:
    setl_id = f"S{new_id('LE')}"
    accounts = [f"fund:999901:{n}" for n in ("a", "B", "c", "D", "e")]
    conn = await asyncpg.connect(settlement.namespace.dsn("settlement"))
    try:
        for account in accounts:
            await conn.execute("INSERT INTO fund_entries (setl_id, kind, account, debit, credit) VALUES"
                               " ($1, 'settle', $2, 10, 0), ($1, 'settle', 'bank:999901', 0, 10)", setl_id, account)
    finally:
        await conn.close()
    async with httpx.AsyncClient(base_url=settlement.url, headers=bearer("operator")) as http:
        entries = await pages(http, f"/v1/ledger/entries/{setl_id}", "entries", 1000)
        assert len(entries) == 10
        assert await pages(http, f"/v1/ledger/entries/{setl_id}", "entries", 3) == entries
        balances = await pages(http, "/v1/ledger/balances", "accounts", 2, {"prefix": "fund:999901:"})
        assert [a["account"] for a in balances] == sorted(accounts)  # codepoint order: "B" < "D" < "a"
        first = (await http.get("/v1/ledger/balances", params={"prefix": "fund:999901:", "limit": 1})).json()
        whole = (await http.get("/v1/ledger/balances", params={"prefix": "fund:999901:"})).json()
        assert (first["ledger_debits"], first["ledger_credits"]) == (whole["ledger_debits"], whole["ledger_credits"])


@pytest.mark.parametrize(("path", "params"), [
    ("/v1/settlements", {**WINDOW, "limit": 1001}),
    ("/v1/settlements", {**WINDOW, "after": "yesterday|settled|S1"}),
    ("/v1/settlements", {**WINDOW, "after": "2031-03-01T00:05:00|settled|S1"}),  # no offset: not one we gave
    ("/v1/settlements", {**WINDOW, "after": "2031-03-01T00:05:00+00:00|paid|S1"}),
    ("/v1/settlements", {**WINDOW, "after": "2031-03-01T00:05:00+00:00"}),
    ("/v1/ledger/balances", {"limit": 1001}),
    ("/v1/ledger/entries/S1", {"limit": 1001}),
    ("/v1/ledger/entries/S1", {"after": "x"}),
    ("/v1/ledger/entries/S1", {"after": "-1"}),
    ("/v1/ledger/entries/S1", {"after": str(2**63)}),
])
async def test_a_page_too_long_or_a_cursor_that_is_not_one_is_refused_with_a_422(
    settlement, path: str, params: dict[str, Any],
) -> None:
    async with httpx.AsyncClient(base_url=settlement.url, headers=bearer("operator")) as http:
        refused = await http.get(path, params=params)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "INVALID_REQUEST" and ("after" in refused.text or "limit" in refused.text)
