"""Settlement's store on Postgres, one statement at a time: the reference implementation of the port.

Every statement that the set-based store (`claim_store.RunClaimStore`) also issues is defined once
here, as a set-based text with named parameters, and run here for one row: the claim's insert
(`INSERT_CLAIMS`) and the accumulators' write (`WRITE_ACCUMULATORS`). So the two stores write alike by
construction, and the one contract test (tests/unit/store_contract.py) holds them to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import asyncpg
import orjson

from services.settlement.adapters.rows import claim_from_row, delta_to_json, postings_to_json, stored, to_json
from services.settlement.adapters.sql import named
from services.settlement.domain import YEARLY, AccumulatorDelta, Accumulators, LargeExam, Posting, exam_window
from services.settlement.domain.ledger import check_balanced
from services.settlement.domain.settlement_claim import Settled, SettlementClaim, Status

CLAIM_TEXT = ("claim_id", "body_hash", "setl_id", "psn_no", "fixmedins_code", "insutype", "med_type",
              "insuplc_admdvs", "mdtrtarea_admvs", "kind", "office_ref")
# a claim the funds pay, or are paying, for
STANDING = f"('{Status.ADJUDICATED}', '{Status.SETTLED}', '{Status.CANCELLING}')"
CLAIM_JSON = ("amounts", "setldetail", "explanation", "accumulator_delta", "postings")

INSERT_CLAIMS = (
    "INSERT INTO claims (claim_id, body_hash, setl_id, psn_no, fixmedins_code, insutype, med_type, insuplc_admdvs,"
    " mdtrtarea_admvs, kind, office_ref, setl_year, begntime, status, amounts, setldetail, explanation,"
    " accumulator_delta, postings)"
    " SELECT claim_id, body_hash, setl_id, psn_no, fixmedins_code, insutype, med_type, insuplc_admdvs,"
    f" mdtrtarea_admvs, kind, office_ref, setl_year, begntime, '{Status.ADJUDICATED}', amounts::jsonb, setldetail::jsonb,"
    " explanation::jsonb, accumulator_delta::jsonb, postings::jsonb"
    f" FROM unnest({', '.join(f':c_{k}::text[]' for k in CLAIM_TEXT)}, :c_setl_year::int[],"
    f" :c_begntime::timestamptz[], {', '.join(f':c_{k}::text[]' for k in CLAIM_JSON)})"
    f" AS r({', '.join(CLAIM_TEXT)}, setl_year, begntime, {', '.join(CLAIM_JSON)})"
)

# The accumulators after a settlement or its reversal, as the domain computed them (`Accumulators.apply`
# on the rows read FOR UPDATE): the year's counters and the day's outpatient pooling are written as they
# now stand, the large exams the delta adds and removes as rows. The rows of the year exist: the
# accumulators were read FOR UPDATE first, which creates them; every write updates the year's row, so a
# run can tell from its version that a concurrent transaction changed the person (`claim_store.LOAD`).
WRITE_ACCUMULATORS = (
    f"yearly AS (UPDATE accumulators a SET {', '.join(f'{n} = d.{n}' for n in YEARLY)}, updated_at = now()"
    f"  FROM unnest(:y_psn_no::text[], :y_year::int[], {', '.join(f':y_{n}::bigint[]' for n in YEARLY)})"
    f"  AS d(psn_no, year, {', '.join(YEARLY)}) WHERE a.psn_no = d.psn_no AND a.year = d.year),"
    " daily AS (INSERT INTO accumulators_daily (psn_no, service_date, outpatient_pooling_paid)"
    "  SELECT * FROM unnest(:d_psn_no::text[], :d_day::date[], :d_paid::bigint[])"
    "  ON CONFLICT (psn_no, service_date) DO UPDATE SET outpatient_pooling_paid = EXCLUDED.outpatient_pooling_paid),"
    " exams AS (INSERT INTO large_exams (psn_no, med_list_codg, exam_date, setl_id)"
    "  SELECT * FROM unnest(:e_psn_no::text[], :e_code::text[], :e_day::date[], :e_setl_id::text[])),"
    " gone AS (DELETE FROM large_exams x USING unnest(:g_psn_no::text[], :g_code::text[], :g_day::date[]) AS g(p, c, d)"
    "  WHERE x.psn_no = g.p AND x.med_list_codg = g.c AND x.exam_date = g.d)"
)


def claim_columns(rows: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """The named arrays of `INSERT_CLAIMS` for these claim rows."""
    columns: dict[str, list[Any]] = {f"c_{k}": [r.get(k) for r in rows] for k in CLAIM_TEXT}
    columns |= {"c_setl_year": [r["setl_year"] for r in rows], "c_begntime": [r["begntime"] for r in rows]}
    columns |= {f"c_{k}": [to_json(_serialized(r[k])) for r in rows] for k in CLAIM_JSON}
    return columns


def _serialized(value: Any) -> Any:
    """A claim row's delta and postings as stored (they come as domain objects, or already as JSON)."""
    if isinstance(value, AccumulatorDelta):
        return delta_to_json(value)
    if isinstance(value, tuple) and all(isinstance(p, Posting) for p in value):
        return postings_to_json(value)
    return value


def accumulator_columns(yearly: Mapping[tuple[str, int], Sequence[int]], daily: Mapping[tuple[str, date], int],
                        added: Sequence[tuple[str, str, date, str]], removed: Sequence[tuple[str, str, date]]
                        ) -> dict[str, list[Any]]:
    """The named arrays of `WRITE_ACCUMULATORS`: the year's counters by (person, year) in `YEARLY` order,
    the day's pooling by (person, day), exams added (person, code, day, setl_id) and removed (person, code, day)."""
    keys, days = sorted(yearly), sorted(daily)
    columns: dict[str, list[Any]] = {"y_psn_no": [p for p, _ in keys], "y_year": [y for _, y in keys]}
    columns |= {f"y_{n}": [yearly[k][i] for k in keys] for i, n in enumerate(YEARLY)}
    columns |= {"d_psn_no": [p for p, _ in days], "d_day": [d for _, d in days], "d_paid": [daily[k] for k in days]}
    for prefix, names, rows in (("e", ("psn_no", "code", "day", "setl_id"), added), ("g", ("psn_no", "code", "day"), removed)):
        columns |= {f"{prefix}_{n}": [row[i] for row in rows] for i, n in enumerate(names)}
    return columns


def exam_rows(psn_no: str, setl_id: str, delta: AccumulatorDelta
              ) -> tuple[list[tuple[str, str, date, str]], list[tuple[str, str, date]]]:
    """The large-exam rows a delta adds and removes."""
    return ([(psn_no, e.med_list_codg, e.exam_date, setl_id) for e in delta.large_exams_added],
            [(psn_no, e.med_list_codg, e.exam_date) for e in delta.large_exams_removed])


class PgSettlementStore:
    """Every read and write of settlement, each issued as it comes, on the caller's connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    # -- the coverage projection -------------------------------------------------------------------
    async def upsert_coverage(self, psn_no: str, version: int, snapshot: dict[str, Any]) -> bool:
        """Keep the newest snapshot; an older or equal version changes nothing."""
        status = await self.conn.execute(
            "INSERT INTO coverage (psn_no, version, snapshot) VALUES ($1, $2, $3::jsonb)"
            " ON CONFLICT (psn_no) DO UPDATE SET version = EXCLUDED.version, snapshot = EXCLUDED.snapshot,"
            " updated_at = now() WHERE coverage.version < EXCLUDED.version",
            psn_no, version, to_json(snapshot))
        return status.endswith("1")

    async def get_coverage(self, psn_no: str) -> dict[str, Any] | None:
        raw = await self.conn.fetchval("SELECT snapshot FROM coverage WHERE psn_no = $1", psn_no)
        return orjson.loads(raw) if raw is not None else None

    # -- claims ------------------------------------------------------------------------------------
    async def get_claim(self, claim_id: str, *, for_update: bool = False) -> SettlementClaim | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self.conn.fetchrow(f"SELECT * FROM claims WHERE claim_id = $1{lock}", claim_id)
        return None if row is None else claim_from_row(stored(row))

    async def insert_claim(self, row: dict[str, Any]) -> None:
        await self.conn.execute(*named(INSERT_CLAIMS, **claim_columns([row])))

    async def insert_rejection(self, claim_id: str, fixmedins_code: str, code: str, reason: str) -> None:
        await self.conn.execute(
            "INSERT INTO claim_rejections (claim_id, fixmedins_code, reason_code, reason) VALUES ($1, $2, $3, $4)",
            claim_id, fixmedins_code, code, reason)

    async def save(self, claim: SettlementClaim, *, refund: dict[str, Any] | None = None, void_reason: str | None = None,
                   payout: dict[str, Any] | None = None) -> Mapping[str, Any]:
        """Store the aggregate's status (and what came with the transition); returns the stored row."""
        row = await self.conn.fetchrow(
            "UPDATE claims SET status = $2, cancel_id = $3, refund = coalesce($4::jsonb, refund),"
            " void_reason = coalesce($5, void_reason), payout = coalesce($6::jsonb, payout),"
            " cancelled_at = CASE WHEN $2 = 'cancelled' THEN coalesce(cancelled_at, now()) END,"
            " paid_out_at = CASE WHEN $6::jsonb IS NOT NULL THEN now() ELSE paid_out_at END"
            " WHERE claim_id = $1 RETURNING *",
            claim.claim_id, claim.status.value, claim.cancel_id, None if refund is None else to_json(refund),
            void_reason, None if payout is None else to_json(payout))
        assert row is not None, f"claim {claim.claim_id} is not stored"  # an aggregate is saved after it was read
        return stored(row)

    async def get_claims(self, claim_ids: Iterable[str], *, for_update: bool = False) -> dict[str, SettlementClaim]:
        """The stored claims of these ids, by id (ids not held are left out); `for_update` locks them in key
        order, as every run locks them, in one statement."""
        lock = " ORDER BY claim_id FOR UPDATE" if for_update else ""
        rows = await self.conn.fetch(f"SELECT * FROM claims WHERE claim_id = ANY($1::text[]){lock}", list(claim_ids))
        return {row["claim_id"]: claim_from_row(stored(row)) for row in rows}

    async def save_settled(self, settled: Sequence[tuple[SettlementClaim, Settled]]) -> dict[str, Mapping[str, Any]]:
        """Store claims the wallet's answers settled (each with its `Settled` event) and post their fund
        entries, in one statement; returns the stored rows by claim id. Entries that do not balance
        raise before anything is written (the ledger's one check)."""
        if not settled:
            return {}
        for claim, event in settled:
            check_balanced(claim.setl_id, event.postings)
        entries = [(claim.setl_id, p) for claim, event in settled for p in event.postings]
        rows = await self.conn.fetch(*named(
            "WITH settled AS (UPDATE claims SET status = s.status, wallet = s.wallet::jsonb,"
            "  postings = coalesce(claims.postings || s.added::jsonb, claims.postings),"
            "  settled_at = now() FROM unnest(:ids::text[], :statuses::text[], :wallets::text[], :added::text[])"
            "  AS s(claim_id, status, wallet, added) WHERE claims.claim_id = s.claim_id RETURNING claims.*),"
            " entries AS (INSERT INTO fund_entries (setl_id, kind, account, debit, credit)"
            "  SELECT setl_id, 'settle', account, debit, credit"
            "  FROM unnest(:setl_ids::text[], :accounts::text[], :debits::bigint[], :credits::bigint[])"
            "  AS e(setl_id, account, debit, credit))"
            " SELECT * FROM settled",
            ids=[claim.claim_id for claim, _ in settled], statuses=[claim.status.value for claim, _ in settled],
            wallets=[to_json(event.wallet) for _, event in settled],
            added=[to_json(postings_to_json(event.added)) if event.added else None for _, event in settled],
            setl_ids=[setl_id for setl_id, _ in entries], accounts=[p.account for _, p in entries],
            debits=[p.debit for _, p in entries], credits=[p.credit for _, p in entries]))
        return {row["claim_id"]: stored(row) for row in rows}

    async def post_entries(self, setl_id: str, kind: str, postings: Sequence[Posting]) -> None:
        """Write one settlement's entries; refused unless debits equal credits."""
        check_balanced(setl_id, postings)
        if postings:
            await self.conn.execute(
                "INSERT INTO fund_entries (setl_id, kind, account, debit, credit)"
                " SELECT $1, $2, a, d, c FROM unnest($3::text[], $4::bigint[], $5::bigint[]) AS l(a, d, c)",
                setl_id, kind, [p.account for p in postings], [p.debit for p in postings], [p.credit for p in postings])

    # -- accumulators --------------------------------------------------------------------------------
    async def accumulators(self, psn_no: str, year: int, day: date, *, for_update: bool) -> Accumulators:
        """The person's accumulators for `year`; `for_update` locks the row until the transaction ends,
        so two claims of one person are adjudicated one after the other, never against the same state."""
        if for_update:
            await self.conn.execute("INSERT INTO accumulators (psn_no, year) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                                    psn_no, year)
        lock = " FOR UPDATE" if for_update else ""
        row = await self.conn.fetchrow(f"SELECT * FROM accumulators WHERE psn_no = $1 AND year = $2{lock}", psn_no, year)
        on_day = await self.conn.fetchval(
            "SELECT outpatient_pooling_paid FROM accumulators_daily WHERE psn_no = $1 AND service_date = $2",
            psn_no, day) or 0
        exams = await self.conn.fetch(
            "SELECT med_list_codg, exam_date FROM large_exams WHERE psn_no = $1 AND exam_date BETWEEN $2 AND $3",
            psn_no, *exam_window(day))
        return Accumulators(
            year=year, outpatient_pooling_paid_on_day=on_day,
            large_exams=tuple(LargeExam(e["med_list_codg"], e["exam_date"]) for e in exams),
            **{name: row[name] if row else 0 for name in YEARLY},
        )

    async def write_accumulators(self, psn_no: str, setl_id: str, after: Accumulators, delta: AccumulatorDelta) -> None:
        """Store the accumulators a settlement (or its reversal) left: `after` is the domain's
        `before.apply(delta)` on the rows read FOR UPDATE; the delta names the day and the exam rows."""
        daily = {(psn_no, delta.service_date): after.outpatient_pooling_paid_on_day} if delta.outpatient_pooling_paid_on_day else {}
        added, removed = exam_rows(psn_no, setl_id, delta)
        await self.conn.execute(*named(f"WITH {WRITE_ACCUMULATORS} SELECT 1", **accumulator_columns(
            {(psn_no, after.year): [getattr(after, n) for n in YEARLY]}, daily, added, removed)))

    # -- traceability codes ----------------------------------------------------------------------------
    async def sold_codes(self, codes: list[str]) -> frozenset[str]:
        if not codes:
            return frozenset()
        rows = await self.conn.fetch("SELECT code FROM traceability_codes WHERE code = ANY($1::text[])", codes)
        return frozenset(r["code"] for r in rows)

    async def record_sold(self, setl_id: str, codes: tuple[str, ...]) -> None:
        if codes:
            await self.conn.execute("INSERT INTO traceability_codes (code, setl_id) SELECT unnest($1::text[]), $2",
                                    list(codes), setl_id)

    async def release_sold(self, setl_id: str) -> None:
        await self.conn.execute("DELETE FROM traceability_codes WHERE setl_id = $1", setl_id)

    # -- manual reimbursement ------------------------------------------------------------------------------
    async def direct_settlement_of_visit(self, psn_no: str, fixmedins_code: str, begntime: datetime) -> str | None:
        """The setl_id of a direct settlement, standing or under way, of the person's visit there that
        day (both times read alike, so a hospital's naive local times compare as they were sent)."""
        return await self.conn.fetchval(
            "SELECT setl_id FROM claims WHERE psn_no = $1 AND setl_year = $4 AND fixmedins_code = $2"
            f" AND kind = 'direct' AND status IN {STANDING}"
            " AND (begntime AT TIME ZONE 'UTC')::date = ($3::timestamptz AT TIME ZONE 'UTC')::date LIMIT 1",
            psn_no, fixmedins_code, begntime, begntime.year)

    async def reimbursement_of_visit(self, psn_no: str, fixmedins_code: str, begntime: datetime) -> str | None:
        """The office reference of a manual reimbursement, standing or under way, of the person's visit there
        that day (the mirror of `direct_settlement_of_visit`, asked by a direct settlement)."""
        return await self.conn.fetchval(
            "SELECT office_ref FROM claims WHERE psn_no = $1 AND kind = 'reimbursement' AND fixmedins_code = $2"
            f" AND status IN {STANDING}"
            " AND (begntime AT TIME ZONE 'UTC')::date = ($3::timestamptz AT TIME ZONE 'UTC')::date LIMIT 1",
            psn_no, fixmedins_code, begntime)

    async def reimbursed_receipts(self, receipt_nos: Iterable[str]) -> frozenset[str]:
        rows = await self.conn.fetch("SELECT receipt_no FROM reimbursement_receipts WHERE receipt_no = ANY($1::text[])",
                                     list(receipt_nos))
        return frozenset(r["receipt_no"] for r in rows)

    async def record_receipts(self, claim_id: str, receipt_nos: Iterable[str]) -> None:
        await self.conn.execute("INSERT INTO reimbursement_receipts (receipt_no, claim_id) SELECT unnest($1::text[]), $2",
                                list(receipt_nos), claim_id)

    async def release_receipts(self, claim_id: str) -> None:
        await self.conn.execute("DELETE FROM reimbursement_receipts WHERE claim_id = $1", claim_id)
