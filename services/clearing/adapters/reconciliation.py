"""The reconciliation half of `PostgresClearingRepository`: staging, the streamed comparison, the runs.

The comparison is a join in the database read through a server-side cursor, `chunk` rows at a time,
so clearing's memory holds one chunk whatever the cycle's size; it needs the transaction the
runtime opened (a cursor lives in one). Text keys are ordered by codepoint (`COLLATE "C"`), the order
Python sorts in, so the stored detail reads the same whichever side produced it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

import asyncpg

from services.clearing.adapters import rows
from services.clearing.domain import Compared, Mismatch, ReconciliationReport, SettlementRow
from services.clearing.domain.ports import MismatchKey, StoredReconciliation

_COMPARED = (
    "WITH c AS (SELECT setl_id, kind, fund_pay_type, sum(amount) AS amount FROM obligations"
    "           WHERE cycle_id = $1 AND kind <> 'returned' GROUP BY setl_id, kind, fund_pay_type),"
    "     s AS (SELECT setl_id, kind, fund_pay_type, sum(amount) AS amount FROM settlement_records"
    "           WHERE batch = $2 GROUP BY setl_id, kind, fund_pay_type)"
    " SELECT setl_id, kind, fund_pay_type, c.amount AS clearing_amount, s.amount AS settlement_amount"
    " FROM c FULL JOIN s USING (setl_id, kind, fund_pay_type)"
    ' ORDER BY setl_id COLLATE "C", kind COLLATE "C", fund_pay_type COLLATE "C"'
)
_MISMATCH_ORDER = 'setl_id COLLATE "C", fact_kind, fund_pay_type COLLATE "C"'


class PostgresReconciliations:
    conn: asyncpg.Connection

    async def stage_settlement_rows(self, batch: str, page: int, rows: Sequence[SettlementRow]) -> None:
        await self.conn.execute("DELETE FROM settlement_records WHERE batch = $1 AND page = $2", batch, page)
        if rows:
            await self.conn.copy_records_to_table(
                "settlement_records", columns=("batch", "page", "setl_id", "kind", "fund_pay_type", "amount"),
                records=[(batch, page, *r) for r in rows],
            )

    async def compared(self, cycle_id: str, batch: str, chunk: int) -> AsyncIterator[list[Compared]]:
        if not self.conn.is_in_transaction():  # a cursor lives in a transaction (the contract test has none)
            async with self.conn.transaction():
                async for compared in self.compared(cycle_id, batch, chunk):
                    yield compared
            return
        cursor = await self.conn.cursor(_COMPARED, cycle_id, batch)
        while found := await cursor.fetch(chunk):
            yield [Compared(r["setl_id"], r["kind"], r["fund_pay_type"], _fen(r["clearing_amount"]),
                            _fen(r["settlement_amount"])) for r in found]

    async def drop_staged(self, batch: str) -> None:
        await self.conn.execute(
            "DELETE FROM settlement_records WHERE batch = $1 OR staged_at < now() - interval '1 day'", batch)

    async def start_reconciliation(self, cycle_id: str, reconciled_at: datetime) -> int:
        run: int = await self.conn.fetchval(
            "INSERT INTO reconciliations (cycle_id, reconciled_at, clearing_fund_pay_sumamt, settlement_fund_pay_sumamt,"
            " clearing_setl_cnt, settlement_setl_cnt, balanced) VALUES ($1, $2, 0, 0, 0, 0, false)"
            " RETURNING reconciliation_id", cycle_id, reconciled_at,
        )
        return run

    async def add_mismatches(self, run: int, mismatches: Sequence[Mismatch]) -> None:
        if mismatches:
            await self.conn.copy_records_to_table(
                "reconciliation_mismatches", columns=rows.MISMATCH_COLUMNS,
                records=[(run, *rows.mismatch_values(m)) for m in mismatches],
            )

    async def finish_reconciliation(self, run: int, report: ReconciliationReport) -> None:
        await self.conn.execute(
            "UPDATE reconciliations SET clearing_fund_pay_sumamt = $2, settlement_fund_pay_sumamt = $3,"
            " clearing_setl_cnt = $4, settlement_setl_cnt = $5, balanced = $6, missing_in_clearing = $7,"
            " missing_in_settlement = $8, amount_differs = $9 WHERE reconciliation_id = $1",
            run, report.clearing_fund_pay_sumamt, report.settlement_fund_pay_sumamt, report.clearing_setl_cnt,
            report.settlement_setl_cnt, report.balanced, report.missing_in_clearing, report.missing_in_settlement,
            report.amount_differs,
        )

    async def last_reconciliation(self, cycle_id: str) -> StoredReconciliation | None:
        run = await self.conn.fetchrow(
            "SELECT * FROM reconciliations WHERE cycle_id = $1 ORDER BY reconciliation_id DESC LIMIT 1", cycle_id,
        )
        return rows.reconciliation(run) if run is not None else None

    async def mismatches(self, run: int, after: MismatchKey | None, limit: int) -> list[Mismatch]:
        found = await self.conn.fetch(
            f"SELECT {', '.join(rows.MISMATCH_COLUMNS[1:])} FROM reconciliation_mismatches WHERE reconciliation_id = $1"
            ' AND ($2::text IS NULL OR (setl_id COLLATE "C", fact_kind, fund_pay_type COLLATE "C")'
            ' > ($2 COLLATE "C", $3, $4 COLLATE "C"))'
            f" ORDER BY {_MISMATCH_ORDER} LIMIT $5", run, *(after or (None, None, None)), limit,
        )
        return [rows.mismatch(m) for m in found]


def _fen(amount: Any) -> int | None:
    """A side's sum (numeric, from `sum(bigint)`) as fen; None: that side has no such row."""
    return None if amount is None else int(amount)
