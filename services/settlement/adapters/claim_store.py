"""What adjudicating a submitted claim reads and writes, behind one port with two implementations.

`PgClaimStore` issues each read and write as it comes: the reference, used for one message, for the
HTTP pre-settlement and whenever the runtime isolates a failing message. `RunClaimStore` serves a
whole run of submitted claims: it reads everything the run can need in one statement (a set-based
part per table, locking the accumulator rows of the people who settle, in key order), answers the
handler from memory while the claims are decided one after the other (a later claim of a person sees
the accumulators an earlier one moved), and writes the run's rows in one statement at the end (a
data-modifying part per table). Two round trips a run, whatever its length: under load each round
trip waits for a core, and those waits were most of a batch's time (docs/performance.md). The
handler code is the same for both, so the two paths decide alike by construction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any, Protocol

import asyncpg
import orjson

from libs.contracts import claims as c
from services.settlement.adapters import accumulators, repository as repo
from services.settlement.adapters.accumulators import LARGE_EXAM_LOOKBACK_DAYS, YEARLY
from services.settlement.adapters.repository import _json
from services.settlement.domain import AccumulatorDelta, Accumulators, LargeExam


class ClaimStore(Protocol):
    async def get_claim(self, claim_id: str) -> Mapping[str, Any] | None: ...
    async def get_coverage(self, psn_no: str) -> dict[str, Any] | None: ...
    async def accumulators(self, psn_no: str, year: int, day: date, *, for_update: bool) -> Accumulators: ...
    async def sold_codes(self, codes: list[str]) -> frozenset[str]: ...
    async def insert_claim(self, row: dict[str, Any]) -> None: ...
    async def apply(self, psn_no: str, setl_id: str, delta: AccumulatorDelta) -> None: ...
    async def record_sold(self, setl_id: str, codes: tuple[str, ...]) -> None: ...
    async def insert_rejection(self, claim_id: str, fixmedins_code: str, code: str, reason: str) -> None: ...


class PgClaimStore:
    """One statement at a time, on the caller's connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def get_claim(self, claim_id: str) -> Mapping[str, Any] | None:
        return await repo.get_claim(self.conn, claim_id)

    async def get_coverage(self, psn_no: str) -> dict[str, Any] | None:
        return await repo.get_coverage(self.conn, psn_no)

    async def accumulators(self, psn_no: str, year: int, day: date, *, for_update: bool) -> Accumulators:
        return await accumulators.read(self.conn, psn_no, year, day, for_update=for_update)

    async def sold_codes(self, codes: list[str]) -> frozenset[str]:
        return await accumulators.sold_codes(self.conn, codes)

    async def insert_claim(self, row: dict[str, Any]) -> None:
        await repo.insert_claim(self.conn, row)

    async def apply(self, psn_no: str, setl_id: str, delta: AccumulatorDelta) -> None:
        await accumulators.apply(self.conn, psn_no, setl_id, delta)

    async def record_sold(self, setl_id: str, codes: tuple[str, ...]) -> None:
        await accumulators.record_sold(self.conn, setl_id, codes)

    async def insert_rejection(self, claim_id: str, fixmedins_code: str, code: str, reason: str) -> None:
        await repo.insert_rejection(self.conn, claim_id, fixmedins_code, code, reason)


class NotPrefetched(LookupError):
    """The handler asked for something the run did not load: a bug; the runtime falls back."""


class RunClaimStore:
    """A run of submitted claims: set-based reads up front, decisions from memory, set-based writes."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self._claims: dict[str, Mapping[str, Any]] = {}
        self._coverage: dict[str, dict[str, Any]] = {}
        self._yearly: dict[tuple[str, int], dict[str, int]] = {}
        self._daily: dict[tuple[str, date], int] = {}
        self._exams: dict[str, list[LargeExam]] = defaultdict(list)
        self._sold: set[str] = set()
        self._locked: set[tuple[str, int]] = set()
        # what the run wrote, flushed at the end
        self._new_claims: list[dict[str, Any]] = []
        self._year_deltas: dict[tuple[str, int], list[int]] = {}
        self._day_deltas: dict[tuple[str, date], int] = defaultdict(int)
        self._new_exams: list[tuple[str, str, date, str]] = []
        self._new_sold: list[tuple[str, str]] = []
        self._rejections: list[tuple[str, str, str, str]] = []

    @classmethod
    async def load(cls, conn: asyncpg.Connection, claims: Iterable[c.ClaimSubmitted]) -> RunClaimStore:
        store = cls(conn)
        await store._load(list(claims))
        return store

    async def _load(self, claims: list[c.ClaimSubmitted]) -> None:
        """Everything the run can need, in one statement (one round trip): under load every round trip
        waits for a core, and that wait, not Postgres's work, made most of a batch's time."""
        conn = self.conn
        people = sorted({m.psn_no for m in claims})
        years = sorted({(m.psn_no, m.begntime.year) for m in claims})
        settling = sorted({(m.psn_no, m.begntime.year) for m in claims if m.action == "settle"})
        days = sorted({(m.psn_no, m.begntime.date()) for m in claims})
        lookback = timedelta(days=LARGE_EXAM_LOOKBACK_DAYS)
        codes = list({code for m in claims for line in m.fee_details for code in line.drug_trac_codg})
        # The accumulator rows of the people who settle are created if missing and locked; rows read
        # FOR UPDATE are locked in key order (ORDER BY under FOR UPDATE), as every batch locks them.
        # The daily rows are read by each column's `= ANY` (an index scan whatever the table's size),
        # not by the pairs: a semi-join with the pairs seq-scanned the table once it held a few thousand
        # rows. The few rows of other pairs it may return are true values, and never asked for.
        row = await conn.fetchrow(
            "WITH created AS (INSERT INTO accumulators (psn_no, year)"
            "  SELECT * FROM unnest($3::text[], $4::int[]) ORDER BY 1, 2 ON CONFLICT DO NOTHING"
            "  RETURNING psn_no, year)"
            " SELECT ARRAY(SELECT cl FROM claims cl WHERE claim_id = ANY($1::text[])) AS claims,"
            "  ARRAY(SELECT cv FROM coverage cv WHERE psn_no = ANY($2::text[])) AS coverage,"
            "  ARRAY(SELECT a FROM accumulators a WHERE (psn_no, year) IN (SELECT * FROM unnest($5::text[], $6::int[]))"
            "   ORDER BY psn_no, year FOR UPDATE) AS yearly,"
            "  ARRAY(SELECT psn_no FROM created) AS created_people, ARRAY(SELECT year FROM created) AS created_years,"
            "  ARRAY(SELECT d FROM accumulators_daily d"
            "   WHERE psn_no = ANY($7::text[]) AND service_date = ANY($8::date[])) AS daily,"
            "  ARRAY(SELECT e FROM large_exams e WHERE psn_no = ANY($2::text[]) AND exam_date BETWEEN $9 AND $10"
            "   ORDER BY psn_no, exam_date) AS exams,"
            "  ARRAY(SELECT code FROM traceability_codes WHERE code = ANY($11::text[])) AS sold",
            list({m.claim_id for m in claims}), people,
            [p for p, _ in settling], [y for _, y in settling], [p for p, _ in years], [y for _, y in years],
            [p for p, _ in days], [d for _, d in days],
            min(d for _, d in days) - lookback, max(d for _, d in days) + lookback, codes,
        )
        self._claims = {r["claim_id"]: r for r in row["claims"]}
        self._coverage = {r["psn_no"]: orjson.loads(r["snapshot"]) for r in row["coverage"]}
        self._yearly = {(r["psn_no"], r["year"]): {name: r[name] for name in YEARLY} for r in row["yearly"]}
        for key in zip(row["created_people"], row["created_years"]):  # new rows: every counter at zero
            self._yearly[key] = dict.fromkeys(YEARLY, 0)
        unseen = [key for key in settling if key not in self._yearly]
        if unseen:  # created by a concurrent transaction after this statement's snapshot: lock and read them
            rows = await conn.fetch(
                f"SELECT psn_no, year, {', '.join(YEARLY)} FROM accumulators"
                " WHERE (psn_no, year) IN (SELECT * FROM unnest($1::text[], $2::int[]))"
                " ORDER BY psn_no, year FOR UPDATE", [p for p, _ in unseen], [y for _, y in unseen])
            self._yearly.update({(r["psn_no"], r["year"]): {name: r[name] for name in YEARLY} for r in rows})
        self._locked = set(settling)
        self._daily = {(r["psn_no"], r["service_date"]): r["outpatient_pooling_paid"] for r in row["daily"]}
        for psn_no, day in days:
            self._daily.setdefault((psn_no, day), 0)
        for r in row["exams"]:
            self._exams[r["psn_no"]].append(LargeExam(r["med_list_codg"], r["exam_date"]))
        self._sold = set(row["sold"])

    # -- reads, from memory --------------------------------------------------------------------------
    async def get_claim(self, claim_id: str) -> Mapping[str, Any] | None:
        return self._claims.get(claim_id)

    async def get_coverage(self, psn_no: str) -> dict[str, Any] | None:
        return self._coverage.get(psn_no)

    async def accumulators(self, psn_no: str, year: int, day: date, *, for_update: bool) -> Accumulators:
        if for_update and (psn_no, year) not in self._locked:
            raise NotPrefetched(f"accumulators of {psn_no}/{year} were not locked for this run")
        if (psn_no, day) not in self._daily:
            raise NotPrefetched(f"daily accumulator of {psn_no} on {day} was not loaded for this run")
        yearly = self._yearly.get((psn_no, year))
        window = timedelta(days=LARGE_EXAM_LOOKBACK_DAYS)
        return Accumulators(
            year=year, outpatient_pooling_paid_on_day=self._daily[(psn_no, day)],
            large_exams=tuple(e for e in self._exams.get(psn_no, ()) if day - window <= e.exam_date <= day + window),
            **{name: yearly[name] if yearly else 0 for name in YEARLY},
        )

    async def sold_codes(self, codes: list[str]) -> frozenset[str]:
        return frozenset(code for code in codes if code in self._sold)

    # -- writes, to memory and the flush lists -------------------------------------------------------
    async def insert_claim(self, row: dict[str, Any]) -> None:
        if row["claim_id"] in self._claims:
            raise asyncpg.UniqueViolationError(f"claim {row['claim_id']} inserted twice in one run")
        self._claims[row["claim_id"]] = {**row, "status": "adjudicated"}
        self._new_claims.append(row)

    async def apply(self, psn_no: str, setl_id: str, delta: AccumulatorDelta) -> None:
        key = (psn_no, delta.year)
        if key not in self._locked or delta.large_exams_removed:
            raise NotPrefetched(f"a settlement's delta for {psn_no}/{delta.year} that this run cannot apply")
        yearly = self._yearly.setdefault(key, dict.fromkeys(YEARLY, 0))
        sums = self._year_deltas.setdefault(key, [0] * len(YEARLY))
        for i, name in enumerate(YEARLY):
            change = getattr(delta, name)
            yearly[name] += change
            sums[i] += change
        if delta.outpatient_pooling_paid_on_day:
            day = (psn_no, delta.service_date)
            self._daily[day] = self._daily.get(day, 0) + delta.outpatient_pooling_paid_on_day
            self._day_deltas[day] += delta.outpatient_pooling_paid_on_day
        for exam in delta.large_exams_added:
            self._exams[psn_no].append(exam)
            self._new_exams.append((psn_no, exam.med_list_codg, exam.exam_date, setl_id))

    async def record_sold(self, setl_id: str, codes: tuple[str, ...]) -> None:
        for code in codes:
            if code in self._sold:
                raise asyncpg.UniqueViolationError(f"traceability code {code} sold twice in one run")
            self._sold.add(code)
            self._new_sold.append((code, setl_id))

    async def insert_rejection(self, claim_id: str, fixmedins_code: str, code: str, reason: str) -> None:
        self._rejections.append((claim_id, fixmedins_code, code, reason))

    async def flush(self) -> None:
        """Write what the run decided: one statement, a data-modifying part per table (an empty list
        writes nothing)."""
        claims, keys, days = self._new_claims, sorted(self._year_deltas), sorted(self._day_deltas)
        if not (claims or keys or days or self._new_exams or self._new_sold or self._rejections):
            return
        sets = ", ".join(f"{name} = a.{name} + d.{name}" for name in YEARLY)
        deltas = ", ".join(f"${i + 19}::bigint[]" for i in range(len(YEARLY)))
        n = 19 + len(YEARLY)
        exams = [list(col) for col in zip(*self._new_exams)] or [[], [], [], []]
        sold = [list(col) for col in zip(*self._new_sold)] or [[], []]
        rejections = [list(col) for col in zip(*self._rejections)] or [[], [], [], []]
        await self.conn.execute(
            "WITH new_claims AS (INSERT INTO claims (claim_id, body_hash, setl_id, psn_no, fixmedins_code, insutype,"
            "  med_type, insuplc_admdvs, mdtrtarea_admvs, setl_year, begntime, status, amounts, setldetail, explanation,"
            "  accumulator_delta, postings)"
            "  SELECT claim_id, body_hash, setl_id, psn_no, fixmedins_code, insutype, med_type, insuplc_admdvs,"
            "  mdtrtarea_admvs, setl_year, begntime, 'adjudicated', amounts::jsonb, setldetail::jsonb,"
            "  explanation::jsonb, accumulator_delta::jsonb, postings::jsonb"
            "  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],"
            "  $8::text[], $9::text[], $10::int[], $11::timestamptz[], $12::text[], $13::text[], $14::text[],"
            "  $15::text[], $16::text[]) AS r(claim_id, body_hash, setl_id, psn_no, fixmedins_code, insutype,"
            "  med_type, insuplc_admdvs, mdtrtarea_admvs, setl_year, begntime, amounts, setldetail, explanation,"
            "  accumulator_delta, postings)),"
            f" yearly AS (UPDATE accumulators a SET {sets}, updated_at = now()"
            f"  FROM unnest($17::text[], $18::int[], {deltas}) AS d(psn_no, year, {', '.join(YEARLY)})"
            "  WHERE a.psn_no = d.psn_no AND a.year = d.year),"
            " daily AS (INSERT INTO accumulators_daily (psn_no, service_date, outpatient_pooling_paid)"
            f"  SELECT * FROM unnest(${n}::text[], ${n + 1}::date[], ${n + 2}::bigint[])"
            "  ON CONFLICT (psn_no, service_date) DO UPDATE SET outpatient_pooling_paid ="
            "  accumulators_daily.outpatient_pooling_paid + EXCLUDED.outpatient_pooling_paid),"
            " exams AS (INSERT INTO large_exams (psn_no, med_list_codg, exam_date, setl_id)"
            f"  SELECT * FROM unnest(${n + 3}::text[], ${n + 4}::text[], ${n + 5}::date[], ${n + 6}::text[])),"
            " sold AS (INSERT INTO traceability_codes (code, setl_id)"
            f"  SELECT * FROM unnest(${n + 7}::text[], ${n + 8}::text[])),"
            " rejections AS (INSERT INTO claim_rejections (claim_id, fixmedins_code, reason_code, reason)"
            f"  SELECT * FROM unnest(${n + 9}::text[], ${n + 10}::text[], ${n + 11}::text[], ${n + 12}::text[]))"
            " SELECT 1",
            *([r[k] for r in claims] for k in (
                "claim_id", "body_hash", "setl_id", "psn_no", "fixmedins_code", "insutype", "med_type",
                "insuplc_admdvs", "mdtrtarea_admvs", "setl_year", "begntime")),
            *([_json(r[k]) for r in claims] for k in (
                "amounts", "setldetail", "explanation", "accumulator_delta", "postings")),
            [p for p, _ in keys], [y for _, y in keys],
            *([self._year_deltas[k][i] for k in keys] for i in range(len(YEARLY))),
            [p for p, _ in days], [d for _, d in days], [self._day_deltas[k] for k in days],
            *exams, *sold, *rejections,
        )
