"""Settlement's stored rows to domain objects and back: the claim aggregate, its delta and postings."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import partial
from typing import Any, cast

import asyncpg
import orjson

from services.settlement.domain import COUNTERS, AccumulatorDelta, LargeExam, Posting
from services.settlement.domain.settlement_claim import Kind, SettlementClaim, Status


def stored(row: asyncpg.Record) -> Mapping[str, Any]:
    """A stored row as the service reads it: by column name ([], get, keys, items). asyncpg's Record reads
    so, but its stubs do not call it a Mapping (iterating one yields its values, which nothing here does)."""
    return cast(Mapping[str, Any], row)


def to_json(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


def _loaded(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, (str, bytes)) else value


def delta_to_json(delta: AccumulatorDelta) -> dict[str, Any]:
    return {
        **delta.counters(), "service_date": delta.service_date.isoformat(),
        "large_exams_added": [[e.med_list_codg, e.exam_date.isoformat()] for e in delta.large_exams_added],
        "large_exams_removed": [[e.med_list_codg, e.exam_date.isoformat()] for e in delta.large_exams_removed],
    }


def delta_from_json(data: Mapping[str, Any]) -> AccumulatorDelta:
    def exams(rows: list[list[str]]) -> tuple[LargeExam, ...]:
        return tuple(LargeExam(code, date.fromisoformat(day)) for code, day in rows)

    return AccumulatorDelta(
        year=data["year"], service_date=date.fromisoformat(data["service_date"]),
        large_exams_added=exams(data["large_exams_added"]), large_exams_removed=exams(data["large_exams_removed"]),
        **{name: data[name] for name in COUNTERS},
    )


def _delta_of(stored: Any) -> AccumulatorDelta:
    return delta_from_json(_loaded(stored))


def postings_to_json(postings: tuple[Posting, ...] | list[Posting]) -> list[list[Any]]:
    return [[p.account, p.debit, p.credit] for p in postings]


def postings_from_json(data: Any) -> tuple[Posting, ...]:
    return tuple(Posting(account, debit, credit) for account, debit, credit in _loaded(data))


def claim_from_row(row: Mapping[str, Any]) -> SettlementClaim:
    """The aggregate of a stored row (or of a row a run inserted, still holding its domain objects)."""
    delta, postings = row["accumulator_delta"], row["postings"]
    return SettlementClaim(
        claim_id=row["claim_id"], setl_id=row["setl_id"], kind=Kind(row.get("kind") or Kind.DIRECT),
        status=Status(row["status"]), psn_no=row["psn_no"], fixmedins_code=row["fixmedins_code"],
        insuplc_admdvs=row["insuplc_admdvs"],
        delta=delta if isinstance(delta, AccumulatorDelta) else partial(_delta_of, delta),
        postings=postings if isinstance(postings, tuple) else postings_from_json(postings),
        office_ref=row.get("office_ref"), cancel_id=row.get("cancel_id"),
        paid_out=row.get("paid_out_at") is not None, record=row,
    )
