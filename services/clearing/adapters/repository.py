"""`ClearingRepository` on Postgres (asyncpg), inside the transaction the runtime opened.

The locks `domain/ports.py` asks for are taken by the reads a decision depends on, so the service
layer cannot forget them: `open_cycle` locks the scope's open cycle FOR SHARE (admitting a fact,
returning a rolled-back item into it), `get_cycle` locks the cycle FOR UPDATE (closing it, deciding on
its items), and `prepayments` locks the scope's ledger until the transaction ends. A repository built
with `locks=False` takes none of them: the HTTP reports read with it and never block the consumers.
The reports' paged reads are `reports.py`, reconciliation's staging and streamed comparison
`reconciliation.py`; this class gathers them into the one repository the port describes.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from libs.money import Fen
from services.clearing.adapters import rows
from services.clearing.adapters.reconciliation import PostgresReconciliations
from services.clearing.adapters.reports import PostgresReports
from services.clearing.domain import (
    ClearingCycle,
    Confirmation,
    CycleNotFound,
    NetPosition,
    Obligation,
    Pair,
    PrepaymentEntry,
)

_CYCLE = "SELECT cycle_id, scope_key, period_start, period_end, opened_at, status, closed_at, close_reason FROM cycles"
_OBLIGATION = (
    "SELECT obligation_id, cycle_id, kind, setl_id, claim_id, fixmedins_code, insuplc_admdvs, mdtrtarea_admvs,"
    " fund_pay_type, amount, occurred_at, arrived_at, origin_cycle_id FROM obligations"
)
_CONFIRMATION = (
    "SELECT cycle_id, setl_id, fixmedins_code, decision, amount, decided_at, returned_to_cycle_id FROM confirmations"
)
_PREPAYMENT = "SELECT entry_id, scope_key, admdvs, kind, amount, at, cycle_id FROM prepayments"


class PostgresClearingRepository(PostgresReports, PostgresReconciliations):
    def __init__(self, conn: asyncpg.Connection, *, locks: bool = True) -> None:
        self.conn = conn
        self._locks = locks

    # cycles
    async def add_cycle(self, cycle: ClearingCycle) -> None:
        await self.conn.execute(
            "INSERT INTO cycles (cycle_id, scope_key, period_start, period_end, opened_at, status, closed_at,"
            " close_reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", *rows.cycle_values(cycle),
        )

    async def save_cycle(self, cycle: ClearingCycle) -> None:
        status = await self.conn.execute(
            "UPDATE cycles SET status = $2, closed_at = $3, close_reason = $4 WHERE cycle_id = $1",
            cycle.cycle_id, cycle.status, cycle.closed_at, cycle.close_reason,
        )
        if status == "UPDATE 0":
            raise CycleNotFound(f"There is no clearing cycle {cycle.cycle_id}.")

    async def get_cycle(self, cycle_id: str) -> ClearingCycle:
        row = await self.conn.fetchrow(f"{_CYCLE} WHERE cycle_id = $1{self._lock('FOR UPDATE')}", cycle_id)
        if row is None:
            raise CycleNotFound(f"There is no clearing cycle {cycle_id}.")
        return rows.cycle(row)

    async def open_cycle(self, scope_key: str) -> ClearingCycle | None:
        query = f"{_CYCLE} WHERE scope_key = $1 AND status = 'open'{self._lock('FOR SHARE')}"
        row = await self.conn.fetchrow(query, scope_key)
        if row is None and self._locks:
            # A close that committed while we waited for the lock: the row we waited on is now
            # closed, and the next cycle it opened is visible only to a new statement.
            row = await self.conn.fetchrow(query, scope_key)
        return rows.cycle(row) if row is not None else None

    async def open_cycles(self) -> list[ClearingCycle]:
        return [rows.cycle(r) for r in await self.conn.fetch(f"{_CYCLE} WHERE status = 'open' ORDER BY scope_key")]

    # obligations
    async def add_obligations(self, obligations: Sequence[Obligation]) -> None:
        if obligations:
            await self.conn.executemany(
                "INSERT INTO obligations (obligation_id, cycle_id, kind, setl_id, claim_id, fixmedins_code,"
                " insuplc_admdvs, mdtrtarea_admvs, fund_pay_type, amount, occurred_at, arrived_at, origin_cycle_id)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                [rows.obligation_values(o) for o in obligations],
            )

    async def obligations_of_claim(self, setl_id: str) -> list[Obligation]:
        return [rows.obligation(r) for r in await self.conn.fetch(f"{_OBLIGATION} WHERE setl_id = $1", setl_id)]

    async def obligations_of_cycle(self, cycle_id: str, fixmedins_code: str | None = None,
                                   setl_ids: Sequence[str] | None = None) -> list[Obligation]:
        found = await self.conn.fetch(
            f"{_OBLIGATION} WHERE cycle_id = $1 AND ($2::text IS NULL OR fixmedins_code = $2)"
            " AND ($3::text[] IS NULL OR setl_id = ANY($3)) ORDER BY obligation_id", cycle_id, fixmedins_code,
            None if setl_ids is None else list(setl_ids),
        )
        return [rows.obligation(r) for r in found]

    async def bilateral_totals(self, cycle_id: str) -> dict[Pair, Fen]:
        found = await self.conn.fetch(
            "SELECT insuplc_admdvs, mdtrtarea_admvs, sum(amount) AS amount FROM obligations"
            " WHERE cycle_id = $1 AND kind <> 'returned' GROUP BY insuplc_admdvs, mdtrtarea_admvs", cycle_id,
        )
        return {(r["insuplc_admdvs"], r["mdtrtarea_admvs"]): int(r["amount"]) for r in found}

    # net positions
    async def add_net_positions(self, positions: Sequence[NetPosition]) -> None:
        if positions:
            await self.conn.executemany(
                "INSERT INTO net_positions (cycle_id, admdvs, gross_payable, gross_receivable, prepayment_applied)"
                " VALUES ($1, $2, $3, $4, $5)",
                [(p.cycle_id, p.admdvs, p.gross_payable, p.gross_receivable, p.prepayment_applied) for p in positions],
            )

    # confirmations
    async def add_confirmations(self, decisions: Sequence[Confirmation]) -> None:
        if decisions:
            await self.conn.executemany(
                "INSERT INTO confirmations (cycle_id, setl_id, fixmedins_code, decision, amount, decided_at,"
                " returned_to_cycle_id) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                [rows.confirmation_values(c) for c in decisions],
            )

    async def confirmations(self, cycle_id: str, fixmedins_code: str,
                            setl_ids: Sequence[str] | None = None) -> list[Confirmation]:
        found = await self.conn.fetch(
            f"{_CONFIRMATION} WHERE cycle_id = $1 AND fixmedins_code = $2"
            " AND ($3::text[] IS NULL OR setl_id = ANY($3)) ORDER BY setl_id, decision",
            cycle_id, fixmedins_code, None if setl_ids is None else list(setl_ids),
        )
        return [rows.confirmation(r) for r in found]

    # prepayments
    async def add_prepayments(self, entries: Sequence[PrepaymentEntry]) -> None:
        if entries:
            await self.conn.executemany(
                "INSERT INTO prepayments (entry_id, scope_key, admdvs, kind, amount, at, cycle_id)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7)", [rows.prepayment_values(e) for e in entries],
            )

    async def prepayments(self, scope_key: str) -> list[PrepaymentEntry]:
        if self._locks:
            await self.conn.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended('clearing/prepayments/' || $1, 0))", scope_key,
            )
        found = await self.conn.fetch(f"{_PREPAYMENT} WHERE scope_key = $1 ORDER BY at, entry_id", scope_key)
        return [rows.prepayment(r) for r in found]

    def _lock(self, clause: str) -> str:
        return f" {clause}" if self._locks else ""
