"""What the handlers need from storage: one port for all of settlement's persistence.

One store works inside one transaction (the runtime's `Transaction`), so the claim, the accumulators,
the fund entries and the outbox rows commit together. `adapters.store.PgSettlementStore` is the
reference (a statement at a time); `adapters.claim_store.RunClaimStore` extends it for runs of
submitted claims (set-based reads up front, writes at `flush`). One contract test
(tests/unit/store_contract.py) runs against both. `Stores` hands the handlers a store for a transaction;
bootstrap.py wires the Postgres one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime
from typing import Any, Protocol

from libs.contracts import claims as c
from libs.messaging.ports import Transaction
from services.settlement.domain import AccumulatorDelta, Accumulators, Posting
from services.settlement.domain.settlement_claim import Settled, SettlementClaim


class SettlementStore(Protocol):
    # the coverage projection (enrollment's CoverageChanged)
    async def upsert_coverage(self, psn_no: str, version: int, snapshot: dict[str, Any]) -> bool: ...
    async def get_coverage(self, psn_no: str) -> dict[str, Any] | None: ...

    # claims: the aggregate, its insert, rejections, the fund ledger
    async def get_claim(self, claim_id: str, *, for_update: bool = False) -> SettlementClaim | None: ...
    async def get_claims(self, claim_ids: Iterable[str], *, for_update: bool = False) -> dict[str, SettlementClaim]: ...
    async def insert_claim(self, row: dict[str, Any]) -> None: ...
    async def insert_rejection(self, claim_id: str, fixmedins_code: str, code: str, reason: str) -> None: ...
    async def save(self, claim: SettlementClaim, *, refund: dict[str, Any] | None = None,
                   void_reason: str | None = None, payout: dict[str, Any] | None = None) -> Mapping[str, Any]: ...
    async def save_settled(self, settled: Sequence[tuple[SettlementClaim, Settled]]) -> dict[str, Mapping[str, Any]]: ...
    async def post_entries(self, setl_id: str, kind: str, postings: Sequence[Posting]) -> None: ...

    # accumulators (5206) and traceability codes
    async def accumulators(self, psn_no: str, year: int, day: date, *, for_update: bool) -> Accumulators: ...
    async def write_accumulators(self, psn_no: str, setl_id: str, after: Accumulators, delta: AccumulatorDelta) -> None:
        """Store `after` (the domain's `before.apply(delta)`, `before` read FOR UPDATE) and the delta's exam rows."""
    async def sold_codes(self, codes: list[str]) -> frozenset[str]: ...
    async def record_sold(self, setl_id: str, codes: tuple[str, ...]) -> None: ...
    async def release_sold(self, setl_id: str) -> None: ...

    # manual reimbursement (零星报销)
    async def direct_settlement_of_visit(self, psn_no: str, fixmedins_code: str, begntime: datetime) -> str | None: ...
    async def reimbursement_of_visit(self, psn_no: str, fixmedins_code: str, begntime: datetime) -> str | None: ...
    async def reimbursed_receipts(self, receipt_nos: Iterable[str]) -> frozenset[str]: ...
    async def record_receipts(self, claim_id: str, receipt_nos: Iterable[str]) -> None: ...
    async def release_receipts(self, claim_id: str) -> None: ...


class RunStore(SettlementStore, Protocol):
    async def flush(self) -> None: ...


class Stores(Protocol):
    def one(self, tx: Transaction) -> SettlementStore:
        """The store of one transaction, a statement at a time."""

    async def run(self, tx: Transaction, claims: Iterable[c.ClaimSubmitted]) -> RunStore:
        """The store of a run of submitted claims, loaded with everything they can need."""

    def reading(self) -> AbstractAsyncContextManager[SettlementStore]:
        """A store outside the runtime's transactions, for reads only (the HTTP pre-settlement)."""
