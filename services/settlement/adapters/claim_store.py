"""The set-based implementation of settlement's store port, for runs of submitted claims.

`store.PgSettlementStore` issues each read and write as it comes: the reference, used for one message,
for the HTTP pre-settlement and whenever the runtime isolates a failing message. `RunClaimStore` serves a
whole run of submitted claims: it reads everything the run can need in one statement (a set-based
part per table, locking the accumulator rows of the people who settle, in key order), answers the
handler from memory while the claims are decided one after the other (a later claim of a person sees
the accumulators an earlier one moved), and writes the run's rows in one statement at the end (a
data-modifying part per table). Two round trips a run, whatever its length: under load each round
trip waits for a core, and those waits were most of a batch's time (docs/performance.md). The
handler code is the same for both, so the two paths decide alike by construction; what the run does
not serve from memory (cancellations, the wallet's answers) it leaves to the reference it extends.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import orjson

from libs.contracts import claims as c
from services.settlement.adapters.rows import claim_from_row
from services.settlement.adapters.sql import named
from services.settlement.adapters.store import (
    INSERT_CLAIMS,
    STANDING,
    WRITE_ACCUMULATORS,
    PgSettlementStore,
    accumulator_columns,
    claim_columns,
    exam_rows,
)
from services.settlement.domain import YEARLY, AccumulatorDelta, Accumulators, LargeExam, exam_window, in_exam_window
from services.settlement.domain.settlement_claim import SettlementClaim

# One read for the whole run. The accumulator rows of the people who settle are created if missing and
# locked; rows read FOR UPDATE are locked in key order (ORDER BY under FOR UPDATE), as every batch locks
# them. The daily rows are read by each column's `= ANY` (an index scan whatever the table's size), not by
# the pairs: a semi-join with the pairs seq-scanned the table once it held a few thousand rows. The few
# rows of other pairs it may return are true values, and never asked for.
LOAD = (
    "WITH created AS (INSERT INTO accumulators (psn_no, year)"
    "  SELECT * FROM unnest(:settling_people::text[], :settling_years::int[]) ORDER BY 1, 2 ON CONFLICT DO NOTHING"
    "  RETURNING psn_no, year)"
    " SELECT ARRAY(SELECT cl FROM claims cl WHERE claim_id = ANY(:claim_ids::text[])) AS claims,"
    "  ARRAY(SELECT cv FROM coverage cv WHERE psn_no = ANY(:people::text[])) AS coverage,"
    "  ARRAY(SELECT a FROM accumulators a WHERE (psn_no, year) IN"
    "   (SELECT * FROM unnest(:year_people::text[], :years::int[])) ORDER BY psn_no, year FOR UPDATE) AS yearly,"
    "  ARRAY(SELECT a.psn_no || ' ' || a.year || ' ' || a.xmin::text FROM accumulators a WHERE (psn_no, year) IN"
    "   (SELECT * FROM unnest(:year_people::text[], :years::int[])) ORDER BY psn_no, year FOR UPDATE) AS locked_versions,"
    "  ARRAY(SELECT a.psn_no || ' ' || a.year || ' ' || a.xmin::text FROM accumulators a WHERE (psn_no, year) IN"
    "   (SELECT * FROM unnest(:year_people::text[], :years::int[]))) AS seen_versions,"
    "  ARRAY(SELECT psn_no FROM created) AS created_people, ARRAY(SELECT year FROM created) AS created_years,"
    "  ARRAY(SELECT d FROM accumulators_daily d"
    "   WHERE psn_no = ANY(:day_people::text[]) AND service_date = ANY(:days::date[])) AS daily,"
    "  ARRAY(SELECT e FROM large_exams e WHERE psn_no = ANY(:people::text[]) AND exam_date BETWEEN :first AND :last"
    "   ORDER BY psn_no, exam_date) AS exams,"
    "  ARRAY(SELECT code FROM traceability_codes WHERE code = ANY(:codes::text[])) AS sold,"
    "  ARRAY(SELECT ROW(psn_no, fixmedins_code, begntime, office_ref) FROM claims"
    f"   WHERE psn_no = ANY(:people::text[]) AND kind = 'reimbursement' AND status IN {STANDING}) AS reimbursed"
)
# What the one read may have seen too early, read again once the locks are held: the statement's
# snapshot is taken before it waits for a lock, so a person another transaction changed meanwhile
# (the year's row then comes back locked in a newer version) or created (not seen at all) is read
# again, lock first, then a read whose snapshot follows the lock. Rare: two consumers at one person.
LOCK_AGAIN = ("SELECT count(*) FROM (SELECT 1 FROM accumulators WHERE (psn_no, year) IN"
              " (SELECT * FROM unnest(:people::text[], :years::int[])) ORDER BY psn_no, year FOR UPDATE) AS locked")
READ_AGAIN = (
    "SELECT ARRAY(SELECT a FROM accumulators a WHERE (psn_no, year) IN"
    "   (SELECT * FROM unnest(:people::text[], :years::int[]))) AS yearly,"
    "  ARRAY(SELECT d FROM accumulators_daily d"
    "   WHERE psn_no = ANY(:day_people::text[]) AND service_date = ANY(:days::date[])) AS daily,"
    "  ARRAY(SELECT e FROM large_exams e WHERE psn_no = ANY(:people::text[]) AND exam_date BETWEEN :first AND :last"
    "   ORDER BY psn_no, exam_date) AS exams"
)
FLUSH = (
    f"WITH new_claims AS ({INSERT_CLAIMS}), {WRITE_ACCUMULATORS},"
    " sold AS (INSERT INTO traceability_codes (code, setl_id) SELECT * FROM unnest(:s_code::text[], :s_setl_id::text[])),"
    " rejections AS (INSERT INTO claim_rejections (claim_id, fixmedins_code, reason_code, reason)"
    "  SELECT * FROM unnest(:r_claim_id::text[], :r_fixmedins_code::text[], :r_code::text[], :r_reason::text[]))"
    " SELECT 1"
)


def utc_day(moment: datetime) -> date:
    """The day as the reference store's SQL reads it: a naive time is taken as UTC, as asyncpg sends it."""
    return (moment if moment.tzinfo is None else moment.astimezone(UTC)).date()


class NotPrefetched(LookupError):
    """The handler asked for something the run did not load: a bug; the runtime falls back."""


class RunClaimStore(PgSettlementStore):
    """A run of submitted claims: set-based reads up front, decisions from memory, set-based writes."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        super().__init__(conn)
        self._claims: dict[str, Any] = {}
        self._coverage: dict[str, dict[str, Any]] = {}
        self._yearly: dict[tuple[str, int], dict[str, int]] = {}
        self._daily: dict[tuple[str, date], int] = {}
        self._exams: dict[str, list[LargeExam]] = defaultdict(list)
        self._sold: set[str] = set()
        self._people: set[str] = set()
        self._reimbursed: dict[tuple[str, str, date], str] = {}  # (person, institution, day): office_ref
        self._locked: set[tuple[str, int]] = set()
        # what the run wrote, flushed at the end
        self._new_claims: list[dict[str, Any]] = []
        self._years_written: set[tuple[str, int]] = set()
        self._days_written: set[tuple[str, date]] = set()
        self._new_exams: list[tuple[str, str, date, str]] = []
        self._gone_exams: list[tuple[str, str, date]] = []
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
        people = sorted({m.psn_no for m in claims})
        years = sorted({(m.psn_no, m.begntime.year) for m in claims})
        settling = sorted({(m.psn_no, m.begntime.year) for m in claims if m.action == "settle"})
        days = sorted({(m.psn_no, m.begntime.date()) for m in claims})
        first, _ = exam_window(min(d for _, d in days))
        _, last = exam_window(max(d for _, d in days))
        row = await self.conn.fetchrow(*named(
            LOAD, claim_ids=list({m.claim_id for m in claims}), people=people,
            settling_people=[p for p, _ in settling], settling_years=[y for _, y in settling],
            year_people=[p for p, _ in years], years=[y for _, y in years],
            day_people=[p for p, _ in days], days=[d for _, d in days], first=first, last=last,
            codes=list({code for m in claims for line in m.fee_details for code in line.drug_trac_codg})))
        assert row is not None  # a SELECT of arrays only: always one row
        self._claims = {r["claim_id"]: r for r in row["claims"]}
        self._coverage = {r["psn_no"]: orjson.loads(r["snapshot"]) for r in row["coverage"]}
        self._read_accumulators(row, people)
        self._locked = set(settling)
        for psn_no, day in days:
            self._daily.setdefault((psn_no, day), 0)
        for key in zip(row["created_people"], row["created_years"], strict=False):  # new rows: every counter at zero
            self._yearly[key] = dict.fromkeys(YEARLY, 0)
        changed = {(p, int(y)) for p, y, _ in (v.split(" ") for v in set(row["locked_versions"]) - set(row["seen_versions"]))}
        stale = sorted(key for key in settling if key not in self._yearly or key in changed)
        if stale:
            await self._read_again(stale, [(p, d) for p, d in days if (p, d.year) in stale], first, last)
        self._sold = set(row["sold"])
        self._people = set(people)
        self._reimbursed = {(psn_no, code, utc_day(begntime)): ref for psn_no, code, begntime, ref in row["reimbursed"]}

    def _read_accumulators(self, row: Any, people: Iterable[str]) -> None:
        """Take the yearly, daily and exam rows of `row` as the people's (replacing what was read before)."""
        self._yearly.update({(r["psn_no"], r["year"]): {name: r[name] for name in YEARLY} for r in row["yearly"]})
        self._daily.update({(r["psn_no"], r["service_date"]): r["outpatient_pooling_paid"] for r in row["daily"]})
        for psn_no in people:
            self._exams[psn_no] = []
        for r in row["exams"]:
            self._exams[r["psn_no"]].append(LargeExam(r["med_list_codg"], r["exam_date"]))

    async def _read_again(self, stale: list[tuple[str, int]], days: list[tuple[str, date]], first: date, last: date) -> None:
        people, years = [p for p, _ in stale], [y for _, y in stale]
        await self.conn.fetchval(*named(LOCK_AGAIN, people=people, years=years))
        row = await self.conn.fetchrow(*named(READ_AGAIN, people=people, years=years, first=first, last=last,
                                              day_people=[p for p, _ in days], days=[d for _, d in days]))
        self._read_accumulators(row, people)

    # -- reads, from memory --------------------------------------------------------------------------
    async def get_claim(self, claim_id: str, *, for_update: bool = False) -> SettlementClaim | None:
        if for_update:
            raise NotPrefetched(f"claim {claim_id} was not locked for this run")
        row = self._claims.get(claim_id)
        return None if row is None else claim_from_row(row)

    async def get_claims(self, claim_ids: Iterable[str], *, for_update: bool = False) -> dict[str, SettlementClaim]:
        if for_update:
            raise NotPrefetched("a run's claims are not locked")
        return {i: claim_from_row(self._claims[i]) for i in claim_ids if i in self._claims}

    async def get_coverage(self, psn_no: str) -> dict[str, Any] | None:
        return self._coverage.get(psn_no)

    async def accumulators(self, psn_no: str, year: int, day: date, *, for_update: bool) -> Accumulators:
        if for_update and (psn_no, year) not in self._locked:
            raise NotPrefetched(f"accumulators of {psn_no}/{year} were not locked for this run")
        if (psn_no, day) not in self._daily:
            raise NotPrefetched(f"daily accumulator of {psn_no} on {day} was not loaded for this run")
        yearly = self._yearly.get((psn_no, year))
        return Accumulators(
            year=year, outpatient_pooling_paid_on_day=self._daily[(psn_no, day)],
            large_exams=tuple(e for e in self._exams.get(psn_no, ()) if in_exam_window(day, e.exam_date)),
            **{name: yearly[name] if yearly else 0 for name in YEARLY},
        )

    async def sold_codes(self, codes: list[str]) -> frozenset[str]:
        return frozenset(code for code in codes if code in self._sold)

    async def reimbursement_of_visit(self, psn_no: str, fixmedins_code: str, begntime: datetime) -> str | None:
        if psn_no not in self._people:
            return await super().reimbursement_of_visit(psn_no, fixmedins_code, begntime)
        return self._reimbursed.get((psn_no, fixmedins_code, utc_day(begntime)))

    # -- writes, to memory and the flush lists -------------------------------------------------------
    async def insert_claim(self, row: dict[str, Any]) -> None:
        if row["claim_id"] in self._claims:
            raise asyncpg.UniqueViolationError(f"claim {row['claim_id']} inserted twice in one run")
        self._claims[row["claim_id"]] = {**row, "status": "adjudicated"}
        self._new_claims.append(row)

    async def write_accumulators(self, psn_no: str, setl_id: str, after: Accumulators, delta: AccumulatorDelta) -> None:
        key = (psn_no, after.year)
        if key not in self._locked:
            raise NotPrefetched(f"a settlement's accumulators for {psn_no}/{after.year} that this run did not lock")
        self._yearly[key] = {name: getattr(after, name) for name in YEARLY}
        self._years_written.add(key)
        if delta.outpatient_pooling_paid_on_day:
            self._daily[(psn_no, delta.service_date)] = after.outpatient_pooling_paid_on_day
            self._days_written.add((psn_no, delta.service_date))
        # `after` was read for the delta's day: its exams stand for that window's
        self._exams[psn_no] = [e for e in self._exams[psn_no] if not in_exam_window(delta.service_date, e.exam_date)]
        self._exams[psn_no] += after.large_exams
        added, removed = exam_rows(psn_no, setl_id, delta)
        self._new_exams += added
        self._gone_exams += removed

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
        if not (self._new_claims or self._years_written or self._days_written or self._new_exams or self._gone_exams
                or self._new_sold or self._rejections):
            return
        sold, rejections = self._new_sold, self._rejections
        await self.conn.execute(*named(
            FLUSH, **claim_columns(self._new_claims),
            **accumulator_columns({k: [self._yearly[k][n] for n in YEARLY] for k in self._years_written},
                                  {k: self._daily[k] for k in self._days_written}, self._new_exams, self._gone_exams),
            s_code=[code for code, _ in sold], s_setl_id=[s for _, s in sold],
            **{f"r_{name}": [r[i] for r in rejections] for i, name in enumerate(("claim_id", "fixmedins_code", "code", "reason"))},
        ))
