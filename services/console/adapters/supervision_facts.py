"""The facts the supervision rules read, from the projection, narrowed in SQL to the candidates.

Each query returns a superset of what its rule flags (claims sharing a traceability code, claims with
a large-equipment exam, people at several institutions in a day); the rule in domain/supervision.py
decides. A claim cancelled later is not a settled claim any more.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg
import orjson

from libs.china_time import CHINA_TIME
from services.console.domain.supervision import Item, SettledClaim

REUSED = "TRACEABILITY_CODE_REUSED"  # settlement's reason code for a box already sold
_SETTLED = ("SELECT o.claim_id, o.psn_no, o.fixmedins_code, o.occurred_at, o.medfee_sumamt, o.fund_pay_sumamt,"
            " s.items FROM outcomes o JOIN submissions s USING (claim_id)"
            " WHERE o.kind = 'settled' AND o.occurred_at >= $1"
            " AND NOT EXISTS (SELECT 1 FROM outcomes c WHERE c.claim_id = o.claim_id AND c.kind = 'cancelled')")


def _claims(rows: list[Any]) -> list[SettledClaim]:
    return [SettledClaim(r["claim_id"], r["psn_no"], r["fixmedins_code"], r["occurred_at"], r["medfee_sumamt"],
                         r["fund_pay_sumamt"],
                         tuple(Item(i["code"], Decimal(i["cnt"]), tuple(i.get("trace", ())))
                               for i in orjson.loads(r["items"])))
            for r in rows]


async def sharing_trace_codes(conn: asyncpg.Connection, since: datetime) -> list[SettledClaim]:
    rows = await conn.fetch(
        f"WITH settled AS ({_SETTLED}), dup AS (SELECT code FROM settled JOIN submissions s USING (claim_id),"
        " unnest(s.trace_codes) AS code GROUP BY code HAVING count(*) > 1)"
        " SELECT * FROM settled WHERE claim_id IN (SELECT claim_id FROM submissions"
        "  WHERE trace_codes && ARRAY(SELECT code FROM dup))", since)
    return _claims(rows)


async def refused_for_reused_codes(conn: asyncpg.Connection, since: datetime) -> list[SettledClaim]:
    """Claims the engine refused because a traceability code was already sold (nothing was paid)."""
    rows = await conn.fetch(
        "SELECT o.claim_id, o.psn_no, o.fixmedins_code, o.occurred_at, o.medfee_sumamt, o.fund_pay_sumamt, s.items"
        " FROM outcomes o JOIN submissions s USING (claim_id)"
        " WHERE o.kind = 'rejected' AND o.reason_code = $2 AND o.occurred_at >= $1", since, REUSED)
    return _claims(rows)


async def sold_codes(conn: asyncpg.Connection, since: datetime, codes: list[str]) -> list[SettledClaim]:
    """The settled claims that sold any of `codes`."""
    return _claims(await conn.fetch(f"{_SETTLED} AND s.trace_codes && $2::text[]", since, codes))


async def with_exams(conn: asyncpg.Connection, since: datetime, exam_codes: frozenset[str]) -> list[SettledClaim]:
    rows = await conn.fetch(
        f"{_SETTLED} AND EXISTS (SELECT 1 FROM jsonb_array_elements(s.items) e WHERE e->>'code' = ANY($2::text[]))",
        since, sorted(exam_codes))
    return _claims(rows)


async def people_at_many_places(conn: asyncpg.Connection, since: datetime, threshold: int) -> list[SettledClaim]:
    rows = await conn.fetch(
        f"WITH settled AS ({_SETTLED}) SELECT * FROM settled WHERE psn_no IN ("
        " SELECT psn_no FROM settled GROUP BY psn_no, (occurred_at AT TIME ZONE $3::interval)::date"
        " HAVING count(DISTINCT fixmedins_code) >= $2)", since, threshold, CHINA_TIME.utcoffset(None))
    return _claims(rows)


async def settled_since(conn: asyncpg.Connection, since: datetime) -> list[SettledClaim]:
    return _claims(await conn.fetch(_SETTLED, since))


async def visits_between(conn: asyncpg.Connection, start: datetime, end: datetime) -> dict[str, tuple[int, int]]:
    rows = await conn.fetch("SELECT fixmedins_code, count(*) AS n, sum(medfee_sumamt) AS total FROM outcomes"
                            " WHERE kind = 'settled' AND occurred_at >= $1 AND occurred_at < $2 GROUP BY 1", start, end)
    return {r["fixmedins_code"]: (r["n"], int(r["total"])) for r in rows}


async def cancellations_between(conn: asyncpg.Connection, start: datetime, end: datetime
                                ) -> tuple[dict[str, int], dict[str, list[str]], dict[str, int]]:
    """Settlements per institution, the claims it took back (cancelled, or settled with a refund line:
    a fee line of negative count, 退费), and how many. A claim refunded and then cancelled counts once."""
    rows = await conn.fetch(
        "SELECT fixmedins_code, count(*) FILTER (WHERE kind = 'settled') AS settled,"
        " array_agg(DISTINCT claim_id) FILTER (WHERE kind = 'cancelled' OR refunds) AS taken_back"
        " FROM (SELECT o.fixmedins_code, o.kind, o.claim_id, o.kind = 'settled' AND coalesce(s.refunds, false) AS refunds"
        "  FROM outcomes o LEFT JOIN submissions s ON s.claim_id = o.claim_id"
        "  WHERE o.kind IN ('settled', 'cancelled') AND o.occurred_at >= $1 AND o.occurred_at < $2) AS w"
        " GROUP BY 1", start, end)
    settled = {r["fixmedins_code"]: r["settled"] for r in rows if r["settled"]}
    taken_back = {r["fixmedins_code"]: sorted(r["taken_back"]) for r in rows if r["taken_back"]}
    return settled, taken_back, {k: len(v) for k, v in taken_back.items()}
