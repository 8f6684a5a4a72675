"""In-memory stand-ins for clearing's ports: the repository, the settlement engine's records, a clock.

The repository keeps the six tables as dicts, with the keys a real store enforces. Rows go in and come
out as copies, so a loaded cycle changed but not saved leaves the store as it was, just as a
rolled-back transaction would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TypeVar

from libs.money import Fen
from services.clearing.domain import (
    ClaimFact,
    ClearingCycle,
    Compared,
    Confirmation,
    Counterparty,
    CycleNotFound,
    DetailLine,
    InstitutionPayable,
    InstitutionTotal,
    Mismatch,
    NetPosition,
    Obligation,
    Pair,
    PrepaymentEntry,
    ReconciliationReport,
    SettlementRow,
    bilateral_totals,
    institution_detail,
    institution_payable,
    institution_totals,
    joined,
    prepayment_balances,
    region_counterparties,
)
from services.clearing.domain.ports import MismatchKey, NetPositionTotals, StoredReconciliation
from services.clearing.domain.reconciliation import clearing_sums, settlement_sums
from services.clearing.service_layer.settlement_records import SettlementRecordsUnavailable

T = TypeVar("T")


class DuplicateKey(Exception):
    """What a unique index raises: the row (or an open cycle of that scope) is already stored."""


class InMemoryClearingRepository:
    def __init__(self) -> None:
        self._cycles: dict[str, ClearingCycle] = {}
        self._obligations: dict[str, Obligation] = {}
        self._positions: dict[tuple[str, str], NetPosition] = {}
        self._confirmations: dict[tuple[str, str, str], Confirmation] = {}
        self._prepayments: dict[str, PrepaymentEntry] = {}
        self._reconciliations: list[StoredReconciliation] = []
        self._mismatches: dict[int, list[Mismatch]] = {}
        self._staged: dict[str, dict[int, list[SettlementRow]]] = {}

    # cycles
    async def add_cycle(self, cycle: ClearingCycle) -> None:
        if cycle.cycle_id in self._cycles:
            raise DuplicateKey(cycle.cycle_id)
        if cycle.status == "open" and await self.open_cycle(cycle.scope_key) is not None:
            raise DuplicateKey(f"open cycle of {cycle.scope_key}")
        self._cycles[cycle.cycle_id] = replace(cycle)

    async def save_cycle(self, cycle: ClearingCycle) -> None:
        await self.get_cycle(cycle.cycle_id)
        self._cycles[cycle.cycle_id] = replace(cycle)

    async def get_cycle(self, cycle_id: str) -> ClearingCycle:
        if cycle_id not in self._cycles:
            raise CycleNotFound(f"There is no clearing cycle {cycle_id}.")
        return replace(self._cycles[cycle_id])

    async def open_cycle(self, scope_key: str) -> ClearingCycle | None:
        return next((replace(c) for c in self._cycles.values() if c.scope_key == scope_key and c.status == "open"), None)

    async def open_cycles(self) -> list[ClearingCycle]:
        return [replace(c) for c in self._cycles.values() if c.status == "open"]

    async def cycles(self, scope_key: str | None = None, after: str | None = None,
                     limit: int | None = None) -> list[ClearingCycle]:
        found = [replace(c) for c in self._cycles.values() if scope_key in (None, c.scope_key)]
        return _page(found, lambda c: c.cycle_id, after, limit)

    def all_cycles(self) -> list[ClearingCycle]:
        return [replace(c) for c in self._cycles.values()]

    # obligations
    async def add_obligations(self, rows: Sequence[Obligation]) -> None:
        _insert(self._obligations, {o.obligation_id: o for o in rows}, len(rows))

    async def obligations_of_claim(self, setl_id: str) -> list[Obligation]:
        return [o for o in self._obligations.values() if o.setl_id == setl_id]

    async def obligations_of_cycle(self, cycle_id: str, fixmedins_code: str | None = None,
                                   setl_ids: Sequence[str] | None = None) -> list[Obligation]:
        return [
            o for o in self._obligations.values()
            if o.cycle_id == cycle_id and fixmedins_code in (None, o.fixmedins_code)
            and (setl_ids is None or o.setl_id in setl_ids)
        ]

    def all_obligations(self) -> list[Obligation]:
        return list(self._obligations.values())

    async def bilateral_totals(self, cycle_id: str) -> dict[Pair, Fen]:
        return bilateral_totals(await self.obligations_of_cycle(cycle_id))

    async def institution_totals(self, cycle_id: str, fixmedins_code: str | None = None,
                                 after: tuple[str, str] | None = None, limit: int | None = None) -> list[InstitutionTotal]:
        totals = institution_totals(await self.obligations_of_cycle(cycle_id, fixmedins_code))
        statements = sorted({(t.fixmedins_code, t.mdtrtarea_admvs) for t in totals})
        shown = {s for s in statements if after is None or s > after}
        return [t for t in totals if (t.fixmedins_code, t.mdtrtarea_admvs) in set(sorted(shown)[:limit])]

    async def counterparties(self, cycle_id: str, admdvs: str, after: str | None, limit: int) -> list[Counterparty]:
        lines = region_counterparties(admdvs, await self.bilateral_totals(cycle_id))
        return _page(lines, lambda c: c.admdvs, after, limit)

    async def item_ids(self, cycle_id: str, fixmedins_code: str, after: str | None, limit: int) -> list[str]:
        return _page([line.setl_id for line in await self._detail(cycle_id, fixmedins_code)], str, after, limit)

    async def institution_payable(self, cycle_id: str, fixmedins_code: str) -> InstitutionPayable:
        return institution_payable(await self._detail(cycle_id, fixmedins_code))

    async def _detail(self, cycle_id: str, fixmedins_code: str) -> list[DetailLine]:
        return institution_detail(await self.get_cycle(cycle_id), fixmedins_code,
                                  await self.obligations_of_cycle(cycle_id, fixmedins_code),
                                  await self.confirmations(cycle_id, fixmedins_code))

    # net positions
    async def add_net_positions(self, rows: Sequence[NetPosition]) -> None:
        _insert(self._positions, {(p.cycle_id, p.admdvs): p for p in rows}, len(rows))

    async def net_positions(self, cycle_id: str, after: str | None = None, limit: int | None = None,
                            admdvs: str | None = None) -> list[NetPosition]:
        found = [p for p in self._positions.values() if p.cycle_id == cycle_id and admdvs in (None, p.admdvs)]
        return _page(found, lambda p: p.admdvs, after, limit)

    async def net_position_totals(self, cycle_id: str) -> NetPositionTotals:
        found = await self.net_positions(cycle_id)
        return NetPositionTotals(sum(p.net for p in found), sum(p.prepayment_applied for p in found),
                                 sum(p.cash_to_pay for p in found), sum(p.cash_to_receive for p in found))

    # confirmations
    async def add_confirmations(self, rows: Sequence[Confirmation]) -> None:
        _insert(self._confirmations, {(c.cycle_id, c.setl_id, c.decision): c for c in rows}, len(rows))

    async def confirmations(self, cycle_id: str, fixmedins_code: str,
                            setl_ids: Sequence[str] | None = None) -> list[Confirmation]:
        return [c for c in self._confirmations.values() if c.cycle_id == cycle_id and c.fixmedins_code == fixmedins_code
                and (setl_ids is None or c.setl_id in setl_ids)]

    # prepayments
    async def add_prepayments(self, rows: Sequence[PrepaymentEntry]) -> None:
        _insert(self._prepayments, {e.entry_id: e for e in rows}, len(rows))

    async def prepayments(self, scope_key: str) -> list[PrepaymentEntry]:
        return [e for e in self._prepayments.values() if e.scope_key == scope_key]

    async def prepayment_balances(self, scope_key: str, after: str | None, limit: int) -> list[tuple[str, Fen]]:
        return _page(list(prepayment_balances(await self.prepayments(scope_key)).items()), lambda b: b[0], after, limit)

    # reconciliation reports
    async def stage_settlement_rows(self, batch: str, page: int, rows: Sequence[SettlementRow]) -> None:
        self._staged.setdefault(batch, {})[page] = list(rows)

    async def compared(self, cycle_id: str, batch: str, chunk: int) -> AsyncIterator[list[Compared]]:
        cycle = await self.get_cycle(cycle_id)
        rows = joined(clearing_sums(cycle, await self.obligations_of_cycle(cycle_id)),
                      settlement_sums([r for page in self._staged.get(batch, {}).values() for r in page]))
        for start in range(0, len(rows), chunk):
            yield rows[start:start + chunk]

    async def drop_staged(self, batch: str) -> None:
        self._staged.pop(batch, None)

    def staged(self) -> dict[str, dict[int, list[SettlementRow]]]:
        return dict(self._staged)

    async def start_reconciliation(self, cycle_id: str, reconciled_at: datetime) -> int:
        run = len(self._reconciliations) + 1
        self._reconciliations.append(StoredReconciliation(run, ReconciliationReport(cycle_id, 0, 0, 0, 0), reconciled_at))
        self._mismatches[run] = []
        return run

    async def add_mismatches(self, run: int, mismatches: Sequence[Mismatch]) -> None:
        self._mismatches[run].extend(mismatches)

    async def finish_reconciliation(self, run: int, report: ReconciliationReport) -> None:
        self._reconciliations[run - 1] = replace(self._reconciliations[run - 1], report=report)

    async def last_reconciliation(self, cycle_id: str) -> StoredReconciliation | None:
        return next((run for run in reversed(self._reconciliations) if run.report.cycle_id == cycle_id), None)

    async def mismatches(self, run: int, after: MismatchKey | None, limit: int) -> list[Mismatch]:
        return [m for m in sorted(self._mismatches.get(run, []), key=lambda m: m.key) if after is None or m.key > after][:limit]

    def snapshot(self) -> tuple:
        """Everything stored, for comparing two histories."""
        return (
            sorted(self._cycles.items()), sorted(self._obligations.items()), sorted(self._positions.items()),
            sorted(self._confirmations.items()), sorted(self._prepayments.items()), list(self._reconciliations),
        )


def _page(rows: Sequence[T], key: Callable[[T], str], after: str | None, limit: int | None) -> list[T]:
    """What a keyset query answers: the rows after `after` in key order (codepoints), at most `limit`."""
    return [r for r in sorted(rows, key=key) if after is None or key(r) > after][:limit]


def _insert(table: dict, rows: dict, count: int) -> None:
    clashes = rows.keys() & table.keys()
    if clashes or len(rows) != count:
        raise DuplicateKey(sorted(clashes) or "a key repeated within one insert")
    table.update(rows)


class FakeSettlementRecords:
    """The settlement engine's records: every fact it holds, answered by occurrence time."""

    def __init__(self, *facts: ClaimFact) -> None:
        self.facts = list(facts)
        self.asked: list[tuple[datetime, datetime]] = []
        self.unavailable = False

    async def pages(self, start: datetime, end: datetime) -> AsyncIterator[list[ClaimFact]]:
        """The records two at a time, as the engine answers a page at a time."""
        self.asked.append((start, end))
        if self.unavailable:
            raise SettlementRecordsUnavailable("The settlement engine did not answer (a test said so).")
        found = [f for f in self.facts if start <= f.occurred_at < end]
        for first in range(0, len(found), 2):
            yield found[first:first + 2]


class Clock:
    """A clock a test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now
