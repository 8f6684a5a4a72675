"""Year-to-date accumulators in Postgres: one row per person and year, locked while adjudicating."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg

from services.settlement.domain import COUNTERS, AccumulatorDelta, Accumulators, LargeExam

YEARLY = tuple(name for name in COUNTERS if name != "outpatient_pooling_paid_on_day")
LARGE_EXAM_LOOKBACK_DAYS = 60  # wider than any pack's repeat-exam window


async def read(conn: asyncpg.Connection, psn_no: str, year: int, service_date: date, *,
               for_update: bool) -> Accumulators:
    """The person's accumulators for `year`; `for_update` locks the row until the transaction ends,
    so two claims of one person are adjudicated one after the other, never against the same state."""
    if for_update:
        await conn.execute("INSERT INTO accumulators (psn_no, year) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                           psn_no, year)
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(f"SELECT * FROM accumulators WHERE psn_no = $1 AND year = $2{lock}", psn_no, year)
    on_day = await conn.fetchval(
        "SELECT outpatient_pooling_paid FROM accumulators_daily WHERE psn_no = $1 AND service_date = $2",
        psn_no, service_date) or 0
    exams = await conn.fetch(
        "SELECT med_list_codg, exam_date FROM large_exams WHERE psn_no = $1"
        " AND exam_date BETWEEN $2::date - $3::int AND $2::date + $3::int",
        psn_no, service_date, LARGE_EXAM_LOOKBACK_DAYS)
    return Accumulators(
        year=year, outpatient_pooling_paid_on_day=on_day,
        large_exams=tuple(LargeExam(e["med_list_codg"], e["exam_date"]) for e in exams),
        **{name: row[name] if row else 0 for name in YEARLY},
    )


async def apply(conn: asyncpg.Connection, psn_no: str, setl_id: str, delta: AccumulatorDelta) -> None:
    """Add a delta (a settlement's, or its negation for a cancellation) to the stored rows."""
    sets = ", ".join(f"{name} = {name} + ${i + 3}" for i, name in enumerate(YEARLY))
    await conn.execute(
        f"UPDATE accumulators SET {sets}, updated_at = now() WHERE psn_no = $1 AND year = $2",
        psn_no, delta.year, *(getattr(delta, name) for name in YEARLY))
    if delta.outpatient_pooling_paid_on_day:
        await conn.execute(
            "INSERT INTO accumulators_daily (psn_no, service_date, outpatient_pooling_paid) VALUES ($1, $2, $3)"
            " ON CONFLICT (psn_no, service_date) DO UPDATE"
            " SET outpatient_pooling_paid = accumulators_daily.outpatient_pooling_paid + EXCLUDED.outpatient_pooling_paid",
            psn_no, delta.service_date, delta.outpatient_pooling_paid_on_day)
    if delta.large_exams_added:
        await conn.executemany(
            "INSERT INTO large_exams (psn_no, med_list_codg, exam_date, setl_id) VALUES ($1, $2, $3, $4)",
            [(psn_no, e.med_list_codg, e.exam_date, setl_id) for e in delta.large_exams_added])
    for exam in delta.large_exams_removed:
        await conn.execute(
            "DELETE FROM large_exams WHERE psn_no = $1 AND med_list_codg = $2 AND exam_date = $3",
            psn_no, exam.med_list_codg, exam.exam_date)


def delta_to_json(delta: AccumulatorDelta) -> dict[str, Any]:
    return {
        **delta.counters(), "service_date": delta.service_date.isoformat(),
        "large_exams_added": [[e.med_list_codg, e.exam_date.isoformat()] for e in delta.large_exams_added],
        "large_exams_removed": [[e.med_list_codg, e.exam_date.isoformat()] for e in delta.large_exams_removed],
    }


def delta_from_json(data: dict[str, Any]) -> AccumulatorDelta:
    exams = lambda rows: tuple(LargeExam(code, date.fromisoformat(day)) for code, day in rows)  # noqa: E731
    return AccumulatorDelta(
        year=data["year"], service_date=date.fromisoformat(data["service_date"]),
        large_exams_added=exams(data["large_exams_added"]), large_exams_removed=exams(data["large_exams_removed"]),
        **{name: data[name] for name in COUNTERS},
    )


async def sold_codes(conn: asyncpg.Connection, codes: list[str]) -> frozenset[str]:
    if not codes:
        return frozenset()
    rows = await conn.fetch("SELECT code FROM traceability_codes WHERE code = ANY($1::text[])", codes)
    return frozenset(r["code"] for r in rows)


async def record_sold(conn: asyncpg.Connection, setl_id: str, codes: tuple[str, ...]) -> None:
    if codes:
        await conn.executemany("INSERT INTO traceability_codes (code, setl_id) VALUES ($1, $2)",
                               [(code, setl_id) for code in codes])


async def release_sold(conn: asyncpg.Connection, setl_id: str) -> None:
    await conn.execute("DELETE FROM traceability_codes WHERE setl_id = $1", setl_id)
