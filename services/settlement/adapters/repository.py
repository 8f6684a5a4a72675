"""Postgres access for the settlement engine: coverage projection, claims, rejections, fund ledger."""

from __future__ import annotations

from typing import Any

import asyncpg
import orjson


def _json(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


async def upsert_coverage(conn: asyncpg.Connection, psn_no: str, version: int, snapshot: dict[str, Any]) -> bool:
    """Keep the newest snapshot; an older or equal version changes nothing."""
    status = await conn.execute(
        "INSERT INTO coverage (psn_no, version, snapshot) VALUES ($1, $2, $3::jsonb)"
        " ON CONFLICT (psn_no) DO UPDATE SET version = EXCLUDED.version, snapshot = EXCLUDED.snapshot,"
        " updated_at = now() WHERE coverage.version < EXCLUDED.version",
        psn_no, version, _json(snapshot),
    )
    return status.endswith("1")


async def get_coverage(conn: asyncpg.Connection, psn_no: str) -> dict[str, Any] | None:
    raw = await conn.fetchval("SELECT snapshot FROM coverage WHERE psn_no = $1", psn_no)
    return orjson.loads(raw) if raw is not None else None


async def get_claim(conn: asyncpg.Connection, claim_id: str, *, for_update: bool = False) -> asyncpg.Record | None:
    lock = " FOR UPDATE" if for_update else ""
    return await conn.fetchrow(f"SELECT * FROM claims WHERE claim_id = $1{lock}", claim_id)


async def claim_answered_by_wallet(conn: asyncpg.Connection, claim_id: str, setl_id: str) -> asyncpg.Record:
    """The claim a wallet answer refers to, locked; an answer for a settlement not held is an error."""
    row = await get_claim(conn, claim_id, for_update=True)
    if row is None or row["setl_id"] != setl_id:
        raise LookupError(f"wallet answer for settlement {setl_id} that settlement does not hold")
    return row


async def settle_answered(conn: asyncpg.Connection, answers: dict[str, tuple[str, dict[str, Any]]]
                         ) -> tuple[dict[str, tuple[str, str]], dict[str, asyncpg.Record]]:
    """The wallet answered these claims (claim id -> (setl_id, how it paid)): in one statement, lock
    them in key order, mark the adjudicated ones settled and post their fund entries from the
    postings stored at adjudication (only where the answer's setl_id is the claim's). Returns the
    (setl_id, status) of every answered claim found, as locked, and the settled rows by claim id; the
    caller refuses answers for claims it does not hold. Entries that do not balance raise ValueError
    (the caller's transaction is then rolled back)."""
    ids = list(answers)
    row = await conn.fetchrow(
        "WITH answer AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) AS w(claim_id, setl_id, wallet)),"
        " locked AS (SELECT c.claim_id, c.setl_id, c.status FROM claims c WHERE c.claim_id = ANY($1::text[])"
        "  ORDER BY c.claim_id FOR UPDATE),"
        " settled AS (UPDATE claims SET status = 'settled', wallet = a.wallet::jsonb, settled_at = now()"
        "  FROM answer a, locked l WHERE claims.claim_id = a.claim_id AND l.claim_id = a.claim_id"
        "  AND l.setl_id = a.setl_id AND l.status = 'adjudicated' RETURNING claims AS claim, claims.setl_id, claims.postings),"
        " entries AS (INSERT INTO fund_entries (setl_id, kind, account, debit, credit)"
        "  SELECT s.setl_id, 'settle', e->>0, (e->>1)::bigint, (e->>2)::bigint"
        "  FROM settled s, jsonb_array_elements(s.postings) e RETURNING setl_id, debit, credit)"
        " SELECT ARRAY(SELECT claim_id FROM locked) AS ids, ARRAY(SELECT setl_id FROM locked) AS setl_ids,"
        "  ARRAY(SELECT status FROM locked) AS statuses, ARRAY(SELECT claim FROM settled) AS settled,"
        "  ARRAY(SELECT setl_id FROM entries GROUP BY setl_id HAVING sum(debit) <> sum(credit)) AS unbalanced",
        ids, [answers[i][0] for i in ids], [_json(answers[i][1]) for i in ids],
    )
    if row["unbalanced"]:
        raise ValueError(f"unbalanced fund entries for {', '.join(row['unbalanced'])}")
    found = {i: (setl_id, status) for i, setl_id, status in zip(row["ids"], row["setl_ids"], row["statuses"])}
    return found, {r["claim_id"]: r for r in row["settled"]}


async def insert_claim(conn: asyncpg.Connection, row: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO claims (claim_id, body_hash, setl_id, psn_no, fixmedins_code, insutype, med_type,"
        " insuplc_admdvs, mdtrtarea_admvs, setl_year, begntime, status, amounts, setldetail, explanation,"
        " accumulator_delta, postings) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,'adjudicated',"
        " $12::jsonb,$13::jsonb,$14::jsonb,$15::jsonb,$16::jsonb)",
        row["claim_id"], row["body_hash"], row["setl_id"], row["psn_no"], row["fixmedins_code"],
        row["insutype"], row["med_type"], row["insuplc_admdvs"], row["mdtrtarea_admvs"], row["setl_year"],
        row["begntime"], _json(row["amounts"]), _json(row["setldetail"]), _json(row["explanation"]),
        _json(row["accumulator_delta"]), _json(row["postings"]),
    )


async def mark_cancelling(conn: asyncpg.Connection, claim_id: str, cancel_id: str) -> None:
    await conn.execute("UPDATE claims SET status = 'cancelling', cancel_id = $2 WHERE claim_id = $1", claim_id, cancel_id)


async def mark_void(conn: asyncpg.Connection, claim_id: str, reason: str) -> None:
    await conn.execute("UPDATE claims SET status = 'void', void_reason = $2 WHERE claim_id = $1", claim_id, reason)


async def restore_settled(conn: asyncpg.Connection, claim_id: str) -> None:
    await conn.execute("UPDATE claims SET status = 'settled', cancel_id = NULL WHERE claim_id = $1", claim_id)


async def mark_cancelled(conn: asyncpg.Connection, claim_id: str, refund: dict[str, Any]) -> asyncpg.Record:
    return await conn.fetchrow(
        "UPDATE claims SET status = 'cancelled', refund = $2::jsonb, cancelled_at = now() WHERE claim_id = $1"
        " RETURNING *", claim_id, _json(refund),
    )


async def insert_rejection(conn: asyncpg.Connection, claim_id: str, fixmedins_code: str, code: str, reason: str) -> None:
    await conn.execute(
        "INSERT INTO claim_rejections (claim_id, fixmedins_code, reason_code, reason) VALUES ($1, $2, $3, $4)",
        claim_id, fixmedins_code, code, reason,
    )


async def post_entries(conn: asyncpg.Connection, setl_id: str, kind: str, entries: list[list[Any]]) -> None:
    """Write [account, debit, credit] lines; refused unless debits equal credits."""
    await post_entries_many(conn, kind, [(setl_id, entries)])


async def post_entries_many(conn: asyncpg.Connection, kind: str, postings: list[tuple[str, list[list[Any]]]]) -> None:
    """Several settlements' lines in one statement; each settlement's must balance on its own."""
    for setl_id, entries in postings:
        if sum(e[1] for e in entries) != sum(e[2] for e in entries):
            raise ValueError(f"unbalanced fund entries for {setl_id}")
    lines = [(setl_id, account, debit, credit) for setl_id, entries in postings for account, debit, credit in entries]
    if lines:
        await conn.execute(
            "INSERT INTO fund_entries (setl_id, kind, account, debit, credit)"
            " SELECT s, $1, a, d, c FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[]) AS l(s, a, d, c)",
            kind, *(list(col) for col in zip(*lines)))
