"""What the reports read: cycle status, net positions, statements, 3260 detail, prepayment balances.

Read through a repository that takes no locks, in a transaction of its own. Statements, net positions
and detail are of closed cycles only: until a cycle closes they are not final (`CYCLE_NOT_CLOSED`);
an open cycle's status shows its running bilateral totals instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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
    NetPosition,
    Pair,
    ReconciliationReport,
    institution_payable,
    institution_statements,
    prepayment_balances,
    region_counterparties,
)
from services.clearing.service_layer.handlers import institution_detail


class ReconciliationNotFound(ClearingRefusal):
    reason_code = "RECONCILIATION_NOT_FOUND"


@dataclass(frozen=True)
class CycleStatus:
    cycle: ClearingCycle
    bilateral: dict[Pair, Fen]


@dataclass(frozen=True)
class RegionStatement:
    cycle_id: str
    position: NetPosition
    counterparties: list[Counterparty]


@dataclass(frozen=True)
class InstitutionDetail:
    cycle_id: str
    fixmedins_code: str
    items: list[DetailLine]
    payable: InstitutionPayable


async def cycles(repo: ClearingRepository, scope_key: str | None = None) -> list[ClearingCycle]:
    return await repo.cycles(scope_key)


async def cycle_status(repo: ClearingRepository, cycle_id: str) -> CycleStatus:
    cycle = await repo.get_cycle(cycle_id)
    return CycleStatus(cycle, await repo.bilateral_totals(cycle_id))


async def closed_cycle(repo: ClearingRepository, cycle_id: str) -> ClearingCycle:
    cycle = await repo.get_cycle(cycle_id)
    cycle.check_closed()
    return cycle


async def net_positions(repo: ClearingRepository, cycle_id: str) -> list[NetPosition]:
    await closed_cycle(repo, cycle_id)
    return await repo.net_positions(cycle_id)


async def region_statement(repo: ClearingRepository, cycle_id: str, admdvs: str) -> RegionStatement:
    """A region absent from the cycle gets a statement of zeros."""
    await closed_cycle(repo, cycle_id)
    position = next((p for p in await repo.net_positions(cycle_id) if p.admdvs == admdvs), None)
    return RegionStatement(
        cycle_id, position or NetPosition(cycle_id, admdvs, gross_payable=0, gross_receivable=0),
        region_counterparties(admdvs, await repo.bilateral_totals(cycle_id)),
    )


async def institution_statements_of(
    repo: ClearingRepository, cycle_id: str, fixmedins_code: str | None = None,
) -> list[InstitutionStatement]:
    await closed_cycle(repo, cycle_id)
    statements = institution_statements(await repo.institution_totals(cycle_id))
    return [s for s in statements if fixmedins_code in (None, s.fixmedins_code)]


async def institution_items(repo: ClearingRepository, cycle_id: str, fixmedins_code: str) -> InstitutionDetail:
    """3260, with what is confirmed, pending and rolled back."""
    items = await institution_detail(repo, await repo.get_cycle(cycle_id), fixmedins_code)
    return InstitutionDetail(cycle_id, fixmedins_code, items, institution_payable(items))


async def prepayment_balances_of(repo: ClearingRepository, scope_key: str) -> dict[str, Fen]:
    ClearingScope.from_key(scope_key)
    return dict(sorted(prepayment_balances(await repo.prepayments(scope_key)).items()))


async def last_reconciliation(repo: ClearingRepository, cycle_id: str) -> tuple[ReconciliationReport, datetime]:
    await repo.get_cycle(cycle_id)
    run = await repo.last_reconciliation(cycle_id)
    if run is None:
        raise ReconciliationNotFound(f"Clearing cycle {cycle_id} has not been reconciled yet.")
    return run
