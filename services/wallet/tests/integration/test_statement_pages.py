"""A statement is read a page at a time at the database, and the pages are the statement.

The pages, followed by `next_before` until the first line, are exactly what the domain computes over
the person's whole journal (`person_statement`, `account_statement`); postings made while a holder
pages back neither repeat a line nor hide one; a page is at most 1000 lines; a cursor that is not one
is refused with a 422 naming it, never a 500.
"""

from __future__ import annotations

from typing import Any

import pytest

from services.wallet.adapters.book import PostgresWalletBook
from services.wallet.domain import Bucket, account_statement, person_statement, personal
from services.wallet.tests.integration.test_transfers_and_bindings import a_holder_and_a_bound_relative, transfer
from tests.support.auth import bearer

pytestmark = pytest.mark.integration


async def every_page(wallet, psn_no: str, limit: int, **params: Any) -> list[dict[str, Any]]:
    """Newest page first, followed back to the first line; the lines returned oldest first."""
    pages: list[list[dict[str, Any]]] = []
    before = None
    while True:
        query = {"limit": limit, **params, **({"before": before} if before is not None else {})}
        answer = (await wallet.http.get(f"/v1/accounts/{psn_no}/statement", params=query,
                                        headers=bearer("operator"))).json()
        pages.insert(0, answer["lines"])
        if (before := answer["next_before"]) is None:
            return [line for page in pages for line in page]


def as_lines(domain_lines) -> list[dict[str, Any]]:
    return [{"key": d.key, "kind": d.kind.value, "amount": d.amount, "balance": d.balance} for d in domain_lines]


def trimmed(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: line[k] for k in ("key", "kind", "amount", "balance")} for line in lines]


async def test_the_pages_followed_to_the_first_line_are_the_whole_statement(wallet) -> None:
    holder, relative = await a_holder_and_a_bound_relative(wallet, amount=1_000_00)
    for amount in (1_00, 2_00):
        await wallet.command(transfer(holder, relative, amount))
    for amount in (3_00, 4_00, 5_00):
        await wallet.credit(holder, amount)
    async with wallet.db.acquire() as conn:
        postings = await PostgresWalletBook(conn).postings_of(holder)
    for limit in (1, 2, 3, 1000):
        assert trimmed(await every_page(wallet, holder, limit)) == as_lines(person_statement(holder, postings)), limit
    for bucket in Bucket:
        expected = as_lines(account_statement(personal(holder, bucket), postings))
        assert trimmed(await every_page(wallet, holder, 2, bucket=bucket.value)) == expected, bucket


async def test_postings_made_while_paging_back_neither_repeat_nor_hide_a_line(wallet) -> None:
    holder, relative = await a_holder_and_a_bound_relative(wallet, amount=1_000_00)
    for amount in (1_00, 2_00):
        await wallet.command(transfer(holder, relative, amount))
    await wallet.credit(holder, 3_00)
    path, as_holder = f"/v1/accounts/{holder}/statement", bearer("holder", psn_no=holder)
    before_inserts = trimmed(await every_page(wallet, holder, 1000))
    newest = (await wallet.http.get(path, params={"limit": 2}, headers=as_holder)).json()
    await wallet.credit(holder, 7_00)  # newer than every page being read
    seen = newest["lines"]
    cursor = newest["next_before"]
    while cursor is not None:
        older = (await wallet.http.get(path, params={"limit": 2, "before": cursor}, headers=as_holder)).json()
        seen = older["lines"] + seen
        cursor = older["next_before"]
    assert trimmed(seen) == before_inserts
    assert [line["amount"] for line in (await wallet.http.get(path, params={"limit": 1}, headers=as_holder)).json()["lines"]] == [7_00]


@pytest.mark.parametrize("params", [{"limit": 1001}, {"limit": 0}, {"before": "x"}, {"before": -1}, {"before": 2**63}])
async def test_a_page_too_long_or_a_cursor_that_is_not_one_is_refused_with_a_422(wallet, params: dict[str, Any]) -> None:
    holder, _ = await a_holder_and_a_bound_relative(wallet)
    refused = await wallet.http.get(f"/v1/accounts/{holder}/statement", params=params, headers=bearer("operator"))
    assert refused.status_code == 422, refused.text
    assert refused.json()["reason_code"] == "INVALID_REQUEST" and ("limit" in refused.text or "before" in refused.text)
