"""Read-only queries behind settlement's HTTP API (reports; no locks, no writes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import orjson
from asyncpg.pool import PoolConnectionProxy

from services.settlement.domain import YEARLY

Connection = asyncpg.Connection | PoolConnectionProxy  # a connection of its own, or one of the pool's


async def claim(conn: Connection, claim_id: str) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "SELECT claim_id, setl_id, psn_no, fixmedins_code, insutype, med_type, insuplc_admdvs, mdtrtarea_admvs,"
        " status, amounts, setldetail, explanation, wallet, refund, cancel_id, created_at, settled_at, cancelled_at,"
        " kind, office_ref, payout, paid_out_at"
        " FROM claims WHERE claim_id = $1", claim_id)
    if row is None:
        return None
    data = dict(row)
    for key in ("amounts", "setldetail", "explanation", "wallet", "refund", "payout"):
        data[key] = orjson.loads(data[key]) if data[key] is not None else None
    return data


SettlementKey = tuple[datetime, str, str]  # (occurred_at, kind, setl_id): the settlements list's order


async def settlements_between(conn: Connection, start: datetime, end: datetime, after: SettlementKey | None,
                              limit: int) -> list[dict[str, Any]]:
    """Settled and cancelled claims in [start, end), each with its fund amounts (3201/3202 source), at
    most `limit` after the key `after`, in key order (keyset: a page costs its own rows).
    Manual reimbursements are left out: they are paid to the person, never cleared between regions."""
    rows = await conn.fetch(
        "SELECT * FROM ("
        "SELECT setl_id, claim_id, 'settled' AS kind, fixmedins_code, insuplc_admdvs, mdtrtarea_admvs,"
        " settled_at AS occurred_at, setldetail, amounts->>'fund_pay_sumamt' AS fund_pay_sumamt"
        " FROM claims WHERE settled_at >= $1 AND settled_at < $2 AND kind = 'direct'"
        " UNION ALL "
        "SELECT setl_id, claim_id, 'cancelled', fixmedins_code, insuplc_admdvs, mdtrtarea_admvs,"
        " cancelled_at, setldetail, amounts->>'fund_pay_sumamt'"
        " FROM claims WHERE status = 'cancelled' AND cancelled_at >= $1 AND cancelled_at < $2 AND kind = 'direct'"
        ") records WHERE $3::timestamptz IS NULL"
        ' OR (occurred_at, kind COLLATE "C", setl_id COLLATE "C") > ($3, $4 COLLATE "C", $5 COLLATE "C")'
        ' ORDER BY occurred_at, kind COLLATE "C", setl_id COLLATE "C" LIMIT $6',
        start, end, *(after or (None, None, None)), limit)
    return [{
        "setl_id": r["setl_id"], "claim_id": r["claim_id"], "kind": r["kind"],
        "fixmedins_code": r["fixmedins_code"], "insuplc_admdvs": r["insuplc_admdvs"],
        "mdtrtarea_admvs": r["mdtrtarea_admvs"], "occurred_at": r["occurred_at"].isoformat(),
        "funds": _per_fund(orjson.loads(r["setldetail"])),
        "fund_pay_sumamt": int(r["fund_pay_sumamt"]),
    } for r in rows]


def _per_fund(setldetail: list[dict[str, Any]]) -> dict[str, int]:
    funds: dict[str, int] = {}
    for row in setldetail:
        funds[row["fund_pay_type"]] = funds.get(row["fund_pay_type"], 0) + row["fund_payamt"]
    return funds


async def accumulators(conn: Connection, psn_no: str, year: int) -> dict[str, Any]:
    row = await conn.fetchrow("SELECT * FROM accumulators WHERE psn_no = $1 AND year = $2", psn_no, year)
    return {"psn_no": psn_no, "year": year} | {name: row[name] if row else 0 for name in YEARLY}


async def ledger_balances(conn: Connection, prefix: str, after: str | None, limit: int) -> dict[str, Any]:
    """Balances (debit − credit) of at most `limit` of the fund ledger's accounts starting with `prefix`,
    after the account `after`; and the whole ledger's totals."""
    rows = await conn.fetch(
        "SELECT account, sum(debit) AS debit, sum(credit) AS credit FROM fund_entries"
        " WHERE account LIKE $1 || '%' AND ($2::text IS NULL OR account COLLATE \"C\" > $2)"
        ' GROUP BY account ORDER BY account COLLATE "C" LIMIT $3', prefix, after, limit)
    totals = await conn.fetchrow("SELECT coalesce(sum(debit), 0) AS d, coalesce(sum(credit), 0) AS c FROM fund_entries")
    assert totals is not None  # sums without GROUP BY: always one row
    return {
        "accounts": [{"account": r["account"], "debit": r["debit"], "credit": r["credit"],
                      "balance": r["debit"] - r["credit"]} for r in rows],
        "ledger_debits": totals["d"], "ledger_credits": totals["c"],
    }


async def ledger_entries(conn: Connection, setl_id: str, after: int | None, limit: int) -> list[dict[str, Any]]:
    """At most `limit` of the settlement's ledger entries after the entry `id` `after`, by id."""
    rows = await conn.fetch(
        "SELECT id, kind, account, debit, credit, created_at FROM fund_entries"
        " WHERE setl_id = $1 AND ($2::bigint IS NULL OR id > $2) ORDER BY id LIMIT $3", setl_id, after, limit)
    return [dict(r) for r in rows]
