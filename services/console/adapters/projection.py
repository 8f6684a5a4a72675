"""The projection's tables (migrations/001_console.sql): writes from the consumers, reads for the pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import orjson

OUTCOME_COLUMNS = ("event_id, claim_id, kind, fixmedins_code, psn_no, reason_code, reason, setl_id, med_type,"
                   " insuplc_admdvs, mdtrtarea_admvs, medfee_sumamt, fund_pay_sumamt, hifp_pay, hifmi_pay,"
                   " hifob_pay, maf_pay, acct_pay, acct_mulaid_pay, psn_cash_pay, explanation, occurred_at")
KINDS = ("settled", "presettled", "rejected", "cancelled")


async def add_submissions(conn: asyncpg.Connection, rows: list[tuple[Any, ...]]) -> None:
    await conn.executemany(
        "INSERT INTO submissions (claim_id, fixmedins_code, psn_no, med_type, submitted_at, items, trace_codes, refunds)"
        " VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8) ON CONFLICT (claim_id) DO NOTHING",
        [(*r[:5], orjson.dumps(r[5]).decode(), *r[6:]) for r in rows])


async def add_outcomes(conn: asyncpg.Connection, rows: list[tuple[Any, ...]]) -> None:
    await conn.executemany(
        f"INSERT INTO outcomes ({OUTCOME_COLUMNS}) VALUES ({', '.join(f'${i}' for i in range(1, 23))})"
        " ON CONFLICT (event_id) DO NOTHING",
        [(*r[:20], orjson.dumps(r[20]).decode() if r[20] else None, r[21]) for r in rows])


async def flow(conn: asyncpg.Connection, since: datetime, bucket_s: int) -> dict[str, Any]:
    """Outcomes per bucket and kind since `since`, the totals, and submit→reply latency."""
    rows = await conn.fetch(
        "SELECT to_timestamp(floor(extract(epoch FROM occurred_at) / $2) * $2) AS at, kind, count(*) AS n"
        " FROM outcomes WHERE occurred_at >= $1 GROUP BY 1, 2 ORDER BY 1", since, bucket_s)
    totals = await conn.fetch("SELECT kind, count(*) AS n FROM outcomes GROUP BY kind")
    latency = await conn.fetchrow(
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50,"
        " percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99, count(*) AS n FROM ("
        "  SELECT extract(epoch FROM o.occurred_at - s.submitted_at) * 1000 AS ms FROM outcomes o"
        "  JOIN submissions s USING (claim_id) WHERE o.occurred_at >= $1 AND o.kind IN ('settled', 'rejected')) t",
        since)
    assert latency is not None  # an aggregate always answers one row
    return {
        "buckets": [{"at": r["at"].isoformat(), "kind": r["kind"], "n": r["n"]} for r in rows],
        "totals": dict.fromkeys(KINDS, 0) | {r["kind"]: r["n"] for r in totals},
        "latency_ms": {"p50": _round(latency["p50"]), "p99": _round(latency["p99"]), "samples": latency["n"]},
    }


async def refusals(conn: asyncpg.Connection, since: datetime, reason_code: str | None,
                   institution: str | None, limit: int = 100) -> dict[str, Any]:
    filters = "kind = 'rejected' AND occurred_at >= $1 AND ($2::text IS NULL OR reason_code = $2)" \
              " AND ($3::text IS NULL OR fixmedins_code = $3)"
    by_reason = await conn.fetch(f"SELECT reason_code, count(*) AS n FROM outcomes WHERE {filters}"
                                 " GROUP BY 1 ORDER BY 2 DESC", since, reason_code, institution)
    by_institution = await conn.fetch(f"SELECT fixmedins_code, count(*) AS n FROM outcomes WHERE {filters}"
                                      " GROUP BY 1 ORDER BY 2 DESC LIMIT 30", since, reason_code, institution)
    recent = await conn.fetch(f"SELECT claim_id, fixmedins_code, reason_code, reason, occurred_at FROM outcomes"
                              f" WHERE {filters} ORDER BY occurred_at DESC LIMIT $4", since, reason_code, institution, limit)
    return {
        "by_reason": [dict(r) for r in by_reason], "by_institution": [dict(r) for r in by_institution],
        "claims": [{**dict(r), "occurred_at": r["occurred_at"].isoformat()} for r in recent],
    }


async def claim(conn: asyncpg.Connection, claim_id: str) -> dict[str, Any]:
    outcomes = await conn.fetch(f"SELECT {OUTCOME_COLUMNS} FROM outcomes WHERE claim_id = $1 ORDER BY occurred_at",
                                claim_id)
    submission = await conn.fetchrow("SELECT * FROM submissions WHERE claim_id = $1", claim_id)
    return {
        "outcomes": [{**dict(r), "event_id": str(r["event_id"]), "occurred_at": r["occurred_at"].isoformat(),
                      "explanation": orjson.loads(r["explanation"]) if r["explanation"] else []} for r in outcomes],
        "submission": None if submission is None else {
            **dict(submission), "submitted_at": submission["submitted_at"].isoformat(),
            "items": orjson.loads(submission["items"])},
    }


async def funds(conn: asyncpg.Connection, since: datetime, bucket_s: int, region: str | None = None) -> dict[str, Any]:
    """Payouts by fund per bucket, of every insured region or of `region` alone, and each region's totals;
    a cancellation counts against its bucket."""
    sign = "CASE kind WHEN 'cancelled' THEN -1 ELSE 1 END"
    money = ", ".join(f"sum({sign} * {c}) AS {c}" for c in (
        "fund_pay_sumamt", "hifp_pay", "hifmi_pay", "hifob_pay", "maf_pay", "acct_pay", "acct_mulaid_pay", "psn_cash_pay"))
    where = "kind IN ('settled', 'cancelled') AND occurred_at >= $1"
    series = await conn.fetch(
        f"SELECT to_timestamp(floor(extract(epoch FROM occurred_at) / $2) * $2) AS at, {money}"
        f" FROM outcomes WHERE {where} AND ($3::text IS NULL OR insuplc_admdvs = $3) GROUP BY 1 ORDER BY 1",
        since, bucket_s, region)
    regions = await conn.fetch(f"SELECT insuplc_admdvs AS region, count(*) AS claims, {money} FROM outcomes"
                               f" WHERE {where} GROUP BY 1 ORDER BY 1", since)
    return {"series": [{**dict(r), "at": r["at"].isoformat()} for r in series], "region": region,
            "regions": [dict(r) for r in regions]}


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 1)
