"""In-memory stand-ins for clearing's ports: the repository, the settlement engine's records, a clock.

The repository keeps the six tables as dicts, with the keys a real store enforces. Rows go in and come
out as copies, so a loaded cycle changed but not saved leaves the store as it was, just as a
rolled-back transaction would.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from libs.money import Fen
from services.clearing.domain import (
    ClaimFact,
    ClearingCycle,
    Confirmation,
    CycleNotFound,
    InstitutionTotal,
    NetPosition,
    Obligation,
    Pair,
    PrepaymentEntry,
    ReconciliationReport,
    bilateral_totals,
    institution_totals,
)
from services.clearing.service_layer.settlement_records import SettlementRecordsUnavailable


class DuplicateKey(Exception):
    """What a unique index raises: the row (or an open cycle of that scope) is already stored."""


class InMemoryClearingRepository:
    def __init__(self) -> None:
        self._cycles: dict[str, ClearingCycle] = {}
        self._obligations: dict[str, Obligation] = {}
        self._positions: dict[tuple[str, str], NetPosition] = {}
        self._confirmations: dict[tuple[str, str, str], Confirmation] = {}
        self._prepayments: dict[str, PrepaymentEntry] = {}
        self._reconciliations: list[tuple[ReconciliationReport, datetime]] = []

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

    async def cycles(self, scope_key: str | None = None) -> list[ClearingCycle]:
        return sorted(
            (replace(c) for c in self._cycles.values() if scope_key in (None, c.scope_key)),
            key=lambda c: (c.scope_key, c.period_start),
        )

    def all_cycles(self) -> list[ClearingCycle]:
        return [replace(c) for c in self._cycles.values()]

    # obligations
    async def add_obligations(self, rows: Sequence[Obligation]) -> None:
        _insert(self._obligations, {o.obligation_id: o for o in rows}, len(rows))

    async def obligations_of_claim(self, setl_id: str) -> list[Obligation]:
        return [o for o in self._obligations.values() if o.setl_id == setl_id]

    async def obligations_of_cycle(self, cycle_id: str, fixmedins_code: str | None = None) -> list[Obligation]:
        return [
            o for o in self._obligations.values()
            if o.cycle_id == cycle_id and fixmedins_code in (None, o.fixmedins_code)
        ]

    def all_obligations(self) -> list[Obligation]:
        return list(self._obligations.values())

    async def bilateral_totals(self, cycle_id: str) -> dict[Pair, Fen]:
        return bilateral_totals(await self.obligations_of_cycle(cycle_id))

    async def institution_totals(self, cycle_id: str) -> list[InstitutionTotal]:
        return institution_totals(await self.obligations_of_cycle(cycle_id))

    # net positions
    async def add_net_positions(self, rows: Sequence[NetPosition]) -> None:
        _insert(self._positions, {(p.cycle_id, p.admdvs): p for p in rows}, len(rows))

    async def net_positions(self, cycle_id: str) -> list[NetPosition]:
        return sorted((p for p in self._positions.values() if p.cycle_id == cycle_id), key=lambda p: p.admdvs)

    # confirmations
    async def add_confirmations(self, rows: Sequence[Confirmation]) -> None:
        _insert(self._confirmations, {(c.cycle_id, c.setl_id, c.decision): c for c in rows}, len(rows))

    async def confirmations(self, cycle_id: str, fixmedins_code: str) -> list[Confirmation]:
        return [c for c in self._confirmations.values() if c.cycle_id == cycle_id and c.fixmedins_code == fixmedins_code]

    # prepayments
    async def add_prepayments(self, rows: Sequence[PrepaymentEntry]) -> None:
        _insert(self._prepayments, {e.entry_id: e for e in rows}, len(rows))

    async def prepayments(self, scope_key: str) -> list[PrepaymentEntry]:
        return [e for e in self._prepayments.values() if e.scope_key == scope_key]

    # reconciliation reports
    async def add_reconciliation(self, report: ReconciliationReport, reconciled_at: datetime) -> None:
        self._reconciliations.append((report, reconciled_at))

    async def last_reconciliation(self, cycle_id: str) -> tuple[ReconciliationReport, datetime] | None:
        return next((run for run in reversed(self._reconciliations) if run[0].cycle_id == cycle_id), None)

    def snapshot(self) -> tuple:
        """Everything stored, for comparing two histories."""
        return (
            sorted(self._cycles.items()), sorted(self._obligations.items()), sorted(self._positions.items()),
            sorted(self._confirmations.items()), sorted(self._prepayments.items()), list(self._reconciliations),
        )


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

    async def records(self, start: datetime, end: datetime) -> list[ClaimFact]:
        self.asked.append((start, end))
        if self.unavailable:
            raise SettlementRecordsUnavailable("The settlement engine did not answer (a test said so).")
        return [f for f in self.facts if start <= f.occurred_at < end]


class Clock:
    """A clock a test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now
