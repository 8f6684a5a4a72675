"""An in-memory settlement store over the fake transaction's state (libs.messaging.fakes), and the
`Stores` that hands it out: the service layer's handlers run on it in unit tests, and the store
contract (store_contract.py) holds it to what the Postgres stores do.

It looks its tables up afresh on every call: a transaction works on a copy of the state, and a
rolled-back savepoint replaces the copy's contents.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any

from libs.contracts import claims as c
from libs.messaging.fakes import FakeDatabase, FakeTransaction
from libs.messaging.ports import Transaction
from services.settlement.domain import YEARLY, AccumulatorDelta, Accumulators, LargeExam, Posting, in_exam_window
from services.settlement.domain.ledger import check_balanced
from services.settlement.domain.settlement_claim import Kind, Settled, SettlementClaim, Status

STANDING = (Status.ADJUDICATED, Status.SETTLED, Status.CANCELLING)  # the funds pay, or are paying, for the claim


def _day(moment: datetime) -> date:
    """The visit's day as the Postgres stores compare it (a naive time taken as UTC)."""
    return (moment if moment.tzinfo is None else moment.astimezone(UTC)).date()


class DuplicateKey(Exception):
    """A key stored twice (the database raises its unique violation)."""


class InMemorySettlementStore:
    def __init__(self, state: dict[str, Any]) -> None:
        self._state = state

    def _table(self, name: str) -> Any:
        tables = self._state.setdefault("settlement", {
            "coverage": {}, "claims": {}, "rejections": [], "entries": [], "yearly": {}, "daily": {}, "exams": [],
            "sold": {}, "receipts": {}})
        return tables[name]

    # -- the coverage projection --------------------------------------------------------------------
    async def upsert_coverage(self, psn_no: str, version: int, snapshot: dict[str, Any]) -> bool:
        held = self._table("coverage").get(psn_no)
        if held is not None and held[0] >= version:
            return False
        self._table("coverage")[psn_no] = (version, snapshot)
        return True

    async def get_coverage(self, psn_no: str) -> dict[str, Any] | None:
        held = self._table("coverage").get(psn_no)
        return None if held is None else held[1]

    # -- claims ----------------------------------------------------------------------------------------
    def _aggregate(self, row: Mapping[str, Any]) -> SettlementClaim:
        return SettlementClaim(
            claim_id=row["claim_id"], setl_id=row["setl_id"], kind=Kind(row["kind"]), status=Status(row["status"]),
            psn_no=row["psn_no"], fixmedins_code=row["fixmedins_code"], insuplc_admdvs=row["insuplc_admdvs"],
            delta=row["accumulator_delta"], postings=tuple(row["postings"]), office_ref=row["office_ref"],
            cancel_id=row["cancel_id"], paid_out=row["paid_out_at"] is not None, record=dict(row))

    async def get_claim(self, claim_id: str, *, for_update: bool = False) -> SettlementClaim | None:
        row = self._table("claims").get(claim_id)
        return None if row is None else self._aggregate(row)

    async def get_claims(self, claim_ids: Iterable[str], *, for_update: bool = False) -> dict[str, SettlementClaim]:
        rows = self._table("claims")
        return {i: self._aggregate(rows[i]) for i in sorted(set(claim_ids)) if i in rows}

    async def insert_claim(self, row: dict[str, Any]) -> None:
        if row["claim_id"] in self._table("claims"):
            raise DuplicateKey(f"claim {row['claim_id']} is stored already")
        self._table("claims")[row["claim_id"]] = {
            **row, "status": Status.ADJUDICATED.value, "cancel_id": None, "wallet": None, "refund": None,
            "void_reason": None, "payout": None, "settled_at": None, "cancelled_at": None, "paid_out_at": None}

    async def insert_rejection(self, claim_id: str, fixmedins_code: str, code: str, reason: str) -> None:
        self._table("rejections").append((claim_id, fixmedins_code, code, reason))

    async def save(self, claim: SettlementClaim, *, refund: dict[str, Any] | None = None,
                   void_reason: str | None = None, payout: dict[str, Any] | None = None) -> Mapping[str, Any]:
        row = self._table("claims")[claim.claim_id]
        now = datetime.now(UTC)
        row.update(status=claim.status.value, cancel_id=claim.cancel_id, refund=refund or row["refund"],
                   void_reason=void_reason or row["void_reason"], payout=payout or row["payout"],
                   cancelled_at=(row["cancelled_at"] or now) if claim.status is Status.CANCELLED else None,
                   paid_out_at=now if payout is not None else row["paid_out_at"])
        return dict(row)

    async def save_settled(self, settled: Sequence[tuple[SettlementClaim, Settled]]) -> dict[str, Mapping[str, Any]]:
        for claim, event in settled:
            check_balanced(claim.setl_id, event.postings)
        rows: dict[str, Mapping[str, Any]] = {}
        for claim, event in settled:
            row = self._table("claims")[claim.claim_id]
            row.update(status=claim.status.value, wallet=dict(event.wallet), settled_at=datetime.now(UTC),
                       postings=tuple(row["postings"]) + event.added)
            self._table("entries").extend((claim.setl_id, "settle", p) for p in event.postings)
            rows[claim.claim_id] = dict(row)
        return rows

    async def post_entries(self, setl_id: str, kind: str, postings: Sequence[Posting]) -> None:
        check_balanced(setl_id, postings)
        self._table("entries").extend((setl_id, kind, p) for p in postings)

    # -- accumulators ------------------------------------------------------------------------------------
    async def accumulators(self, psn_no: str, year: int, day: date, *, for_update: bool) -> Accumulators:
        if for_update:
            self._table("yearly").setdefault((psn_no, year), dict.fromkeys(YEARLY, 0))
        yearly = self._table("yearly").get((psn_no, year), dict.fromkeys(YEARLY, 0))
        exams = tuple(LargeExam(code, on) for p, code, on, _ in self._table("exams") if p == psn_no and in_exam_window(day, on))
        return Accumulators(year=year, outpatient_pooling_paid_on_day=self._table("daily").get((psn_no, day), 0),
                            large_exams=exams, **yearly)

    async def write_accumulators(self, psn_no: str, setl_id: str, after: Accumulators, delta: AccumulatorDelta) -> None:
        self._table("yearly")[(psn_no, after.year)] = {name: getattr(after, name) for name in YEARLY}
        if delta.outpatient_pooling_paid_on_day:
            self._table("daily")[(psn_no, delta.service_date)] = after.outpatient_pooling_paid_on_day
        exams = self._table("exams")
        gone = {(psn_no, e.med_list_codg, e.exam_date) for e in delta.large_exams_removed}
        exams[:] = [row for row in exams if row[:3] not in gone]
        exams += [(psn_no, e.med_list_codg, e.exam_date, setl_id) for e in delta.large_exams_added]

    # -- traceability codes ----------------------------------------------------------------------------------
    async def sold_codes(self, codes: list[str]) -> frozenset[str]:
        return frozenset(code for code in codes if code in self._table("sold"))

    async def record_sold(self, setl_id: str, codes: tuple[str, ...]) -> None:
        self._hold("sold", codes, setl_id, "traceability code {} sold twice")

    async def release_sold(self, setl_id: str) -> None:
        self._release("sold", setl_id)

    def _hold(self, table: str, keys: Iterable[str], holder: str, twice: str) -> None:
        """Each key held by `holder`, unique as the database's index keeps it."""
        held = self._table(table)
        for key in keys:
            if key in held:
                raise DuplicateKey(twice.format(key))
            held[key] = holder

    def _release(self, table: str, holder: str) -> None:
        held = self._table(table)
        for key in [key for key, by in held.items() if by == holder]:
            del held[key]

    # -- manual reimbursement ----------------------------------------------------------------------------------
    def _visit(self, psn_no: str, fixmedins_code: str, begntime: datetime, kind: Kind) -> Mapping[str, Any] | None:
        return next((row for row in self._table("claims").values()
                     if (row["psn_no"], row["fixmedins_code"], row["kind"]) == (psn_no, fixmedins_code, kind.value)
                     and Status(row["status"]) in STANDING and _day(row["begntime"]) == _day(begntime)), None)

    async def direct_settlement_of_visit(self, psn_no: str, fixmedins_code: str, begntime: datetime) -> str | None:
        row = self._visit(psn_no, fixmedins_code, begntime, Kind.DIRECT)
        return None if row is None or row["setl_year"] != begntime.year else row["setl_id"]

    async def reimbursement_of_visit(self, psn_no: str, fixmedins_code: str, begntime: datetime) -> str | None:
        row = self._visit(psn_no, fixmedins_code, begntime, Kind.REIMBURSEMENT)
        return None if row is None else row["office_ref"]

    async def reimbursed_receipts(self, receipt_nos: Iterable[str]) -> frozenset[str]:
        return frozenset(r for r in receipt_nos if r in self._table("receipts"))

    async def record_receipts(self, claim_id: str, receipt_nos: Iterable[str]) -> None:
        self._hold("receipts", receipt_nos, claim_id, "receipt {} reimbursed twice")

    async def release_receipts(self, claim_id: str) -> None:
        self._release("receipts", claim_id)

    async def flush(self) -> None:
        """A run writes as it goes here: nothing is held back."""


class InMemoryStores:
    """Hands the handlers the in-memory store of a fake transaction; `reading` reads what the fake
    database committed."""

    def __init__(self, database: FakeDatabase) -> None:
        self.database = database

    def one(self, tx: Transaction) -> InMemorySettlementStore:
        assert isinstance(tx, FakeTransaction)
        return InMemorySettlementStore(tx.state)

    async def run(self, tx: Transaction, claims: Iterable[c.ClaimSubmitted]) -> InMemorySettlementStore:
        return self.one(tx)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[InMemorySettlementStore]:
        yield InMemorySettlementStore(self.database.state)
