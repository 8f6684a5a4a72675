"""What the reports read: cycle status, net positions, statements, 3260 detail, prepayment balances.

Read through a repository that takes no locks, in a transaction of its own. Statements, net positions
and detail are of closed cycles only: until a cycle closes they are not final (`CYCLE_NOT_CLOSED`);
an open cycle's status shows its running bilateral totals instead. Lists are read a page at a time
from the store (`after`, `limit`: the HTTP layer asks for one row more than it shows, to know
whether another page follows); totals are the store's sums over everything.
"""

from __future__ import annotations

from dataclasses import dataclass

from libs.money import Fen
from services.clearing.domain import (
    ClearingCycle,
    ClearingRefusal,
    ClearingRepository,
    ClearingScope,
    Counterparty,
    DetailLine,
    InstitutionPayable,
    InstitutionStatement,
    Mismatch,
    NetPosition,
    Pair,
    institution_detail,
    institution_statements,
)
from services.clearing.domain.ports import MismatchKey, NetPositionTotals, StoredReconciliation


class ReconciliationNotFound(ClearingRefusal):
    reason_code = "RECONCILIATION_NOT_FOUND"


@dataclass(frozen=True)
class CycleStatus:
    cycle: ClearingCycle
    bilateral: dict[Pair, Fen]


@dataclass(frozen=True)
class NetPositionsPage:
    positions: list[NetPosition]
    totals: NetPositionTotals


@dataclass(frozen=True)
class RegionStatement:
    cycle_id: str
    position: NetPosition
    counterparties: list[Counterparty]


@dataclass(frozen=True)
class InstitutionDetail:
    """Some of the institution's items; `payable` is over all of them."""

    cycle_id: str
    fixmedins_code: str
    items: list[DetailLine]
    payable: InstitutionPayable


@dataclass(frozen=True)
class ReconciliationPage:
    run: StoredReconciliation
    mismatches: list[Mismatch]


async def cycles(repo: ClearingRepository, scope_key: str | None, after: str | None, limit: int) -> list[ClearingCycle]:
    return await repo.cycles(scope_key, after, limit)


async def cycle_status(repo: ClearingRepository, cycle_id: str) -> CycleStatus:
    cycle = await repo.get_cycle(cycle_id)
    return CycleStatus(cycle, await repo.bilateral_totals(cycle_id))


async def closed_cycle(repo: ClearingRepository, cycle_id: str) -> ClearingCycle:
    cycle = await repo.get_cycle(cycle_id)
    cycle.check_closed()
    return cycle


async def net_positions(repo: ClearingRepository, cycle_id: str, after: str | None, limit: int) -> NetPositionsPage:
    await closed_cycle(repo, cycle_id)
    return NetPositionsPage(await repo.net_positions(cycle_id, after, limit), await repo.net_position_totals(cycle_id))


async def region_statement(
    repo: ClearingRepository, cycle_id: str, admdvs: str, after: str | None, limit: int,
) -> RegionStatement:
    """A region absent from the cycle gets a statement of zeros."""
    await closed_cycle(repo, cycle_id)
    position = next(iter(await repo.net_positions(cycle_id, admdvs=admdvs)), None)
    return RegionStatement(
        cycle_id, position or NetPosition(cycle_id, admdvs, gross_payable=0, gross_receivable=0),
        await repo.counterparties(cycle_id, admdvs, after, limit),
    )


async def institution_statements_of(
    repo: ClearingRepository, cycle_id: str, fixmedins_code: str | None, after: tuple[str, str] | None, limit: int,
) -> list[InstitutionStatement]:
    await closed_cycle(repo, cycle_id)
    return institution_statements(await repo.institution_totals(cycle_id, fixmedins_code, after, limit))


async def institution_items(
    repo: ClearingRepository, cycle_id: str, fixmedins_code: str, after: str | None, limit: int,
) -> InstitutionDetail:
    """3260: at most `limit` items after `after` (by setl_id), with what is confirmed, pending and
    rolled back over all of them."""
    cycle = await closed_cycle(repo, cycle_id)
    ids = await repo.item_ids(cycle_id, fixmedins_code, after, limit)
    items = institution_detail(
        cycle, fixmedins_code, await repo.obligations_of_cycle(cycle_id, fixmedins_code, ids),
        await repo.confirmations(cycle_id, fixmedins_code, ids),
    ) if ids else []
    return InstitutionDetail(cycle_id, fixmedins_code, items, await repo.institution_payable(cycle_id, fixmedins_code))


async def prepayment_balances_of(
    repo: ClearingRepository, scope_key: str, after: str | None, limit: int,
) -> list[tuple[str, Fen]]:
    ClearingScope.from_key(scope_key)
    return await repo.prepayment_balances(scope_key, after, limit)


async def last_reconciliation(
    repo: ClearingRepository, cycle_id: str, after: MismatchKey | None, limit: int,
) -> ReconciliationPage:
    await repo.get_cycle(cycle_id)
    run = await repo.last_reconciliation(cycle_id)
    if run is None:
        raise ReconciliationNotFound(f"Clearing cycle {cycle_id} has not been reconciled yet.")
    return ReconciliationPage(run, await repo.mismatches(run.run, after, limit))


async def reconciliation(
    repo: ClearingRepository, run: StoredReconciliation, after: MismatchKey | None, limit: int,
) -> ReconciliationPage:
    """The run just made, with a page of its detail."""
    return ReconciliationPage(run, await repo.mismatches(run.run, after, limit))
