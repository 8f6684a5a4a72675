"""Clearing's handlers, one verb each: load through the repository, let the domain decide, store, emit.

Each runs inside one transaction (`UnitOfWork`): the consumer runtime's for a settled or cancelled
claim, the service's own for a command. The repository takes the locks `domain/ports.py` names, so a
fact never lands in a cycle being closed and two refunds never spend one balance.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from libs.money import Fen
from services.clearing import domain
from services.clearing.domain import (
    ClaimFact,
    ClearingCycle,
    ClearingRepository,
    Confirmation,
    CycleClosing,
    CycleNotFound,
    DetailLine,
    Obligation,
    prepayment_balances,
)
from services.clearing.domain.ports import StoredReconciliation
from services.clearing.service_layer import events
from services.clearing.service_layer.commands import (
    AdvancePrepayment,
    CloseCycle,
    ConfirmItems,
    Reconcile,
    RefundPrepayment,
    RollBackItems,
)
from services.clearing.service_layer.unit_of_work import UnitOfWork

RECONCILIATION_CHUNK = 2_000  # compared rows held at once: bounds reconciliation's memory, whatever the cycle


@dataclass(frozen=True)
class PrepaymentOutcome:
    """What a prepayment command left: whether it recorded a new entry, and the region's balance."""

    entry_id: str
    recorded: bool
    balance: Fen


async def receive(uow: UnitOfWork, fact: ClaimFact) -> list[Obligation]:
    """A ClaimSettled or ClaimCancelled arrived: record its obligations in the scope's open cycle."""
    scope = fact.scope
    if scope is None:
        return []  # a local claim: the insured region paid its own hospital
    cycle = await uow.repo.open_cycle(scope.key)
    if cycle is None:
        cycle = ClearingCycle.first(scope, uow.now, uow.calendar)
        await uow.repo.add_cycle(cycle)
    rows = cycle.record(fact, await uow.repo.obligations_of_claim(fact.setl_id), uow.now)
    await uow.repo.add_obligations(rows)
    return rows


async def close_cycle(uow: UnitOfWork, command: CloseCycle) -> CycleClosing:
    repo = uow.repo
    cycle = await repo.get_cycle(command.cycle_id)
    closing = cycle.close(
        uow.now, reason=command.reason, bilateral=await repo.bilateral_totals(cycle.cycle_id),
        prepayment_balances=prepayment_balances(await repo.prepayments(cycle.scope_key)), calendar=uow.calendar,
    )
    await repo.save_cycle(closing.closed)
    await repo.add_cycle(closing.next_cycle)
    await repo.add_net_positions(closing.net_positions)
    await repo.add_prepayments(closing.prepayments_applied)
    uow.emit(cycle.cycle_id, events.cycle_closed(closing))
    return closing


async def advance_prepayment(uow: UnitOfWork, command: AdvancePrepayment) -> PrepaymentOutcome:
    return await _record_prepayment(uow, domain.advance_prepayment, command)


async def refund_prepayment(uow: UnitOfWork, command: RefundPrepayment) -> PrepaymentOutcome:
    return await _record_prepayment(uow, domain.refund_prepayment, command)


async def confirm_items(uow: UnitOfWork, command: ConfirmItems) -> list[Confirmation]:
    """3261."""
    cycle = await uow.repo.get_cycle(command.cycle_id)
    detail = await institution_detail(uow.repo, cycle, command.fixmedins_code)
    decisions = domain.confirm_items(cycle, detail, command.setl_ids, uow.now)
    await uow.repo.add_confirmations(decisions)
    if decisions:
        uow.emit(cycle.cycle_id, events.items_confirmed(cycle.cycle_id, command.fixmedins_code, decisions, uow.now))
    return decisions


async def roll_back_items(uow: UnitOfWork, command: RollBackItems) -> tuple[list[Confirmation], list[Obligation]]:
    """3262: the items leave the closed cycle and return to the scope's open one."""
    cycle = await uow.repo.get_cycle(command.cycle_id)
    target = await uow.repo.open_cycle(cycle.scope_key)
    if target is None:
        raise CycleNotFound(f"Clearing scope {cycle.scope_key} has no open cycle to return items to.")
    detail = await institution_detail(uow.repo, cycle, command.fixmedins_code)
    decisions, returned = domain.roll_back_items(cycle, detail, command.setl_ids, target, uow.now)
    await uow.repo.add_confirmations(decisions)
    await uow.repo.add_obligations(returned)
    if decisions:
        uow.emit(cycle.cycle_id, events.items_rolled_back(
            cycle.cycle_id, command.fixmedins_code, decisions, target.cycle_id, uow.now,
        ))
    return decisions, returned


async def reconcile(uow: UnitOfWork, command: Reconcile, batch: str) -> StoredReconciliation:
    """3201/3202 against the settlement engine's records for the cycle's period, staged beforehand as
    `batch`: the two sides are compared a chunk at a time and each chunk's mismatches written at once."""
    cycle = await uow.repo.get_cycle(command.cycle_id)
    cycle.check_closed()
    run = await uow.repo.start_reconciliation(cycle.cycle_id, uow.now)
    reconciliation = domain.Reconciliation(cycle.cycle_id)
    async for chunk in uow.repo.compared(cycle.cycle_id, batch, RECONCILIATION_CHUNK):
        await uow.repo.add_mismatches(run, [m for row in chunk if (m := reconciliation.compare(row)) is not None])
    report = reconciliation.report()
    await uow.repo.finish_reconciliation(run, report)
    await uow.repo.drop_staged(batch)  # with the report, or not at all
    uow.emit(cycle.cycle_id, events.reconciliation_completed(report, uow.now))
    return StoredReconciliation(run, report, uow.now)


async def institution_detail(repo: ClearingRepository, cycle: ClearingCycle, fixmedins_code: str) -> list[DetailLine]:
    """3260: the institution's items in a closed cycle."""
    return domain.institution_detail(
        cycle, fixmedins_code, await repo.obligations_of_cycle(cycle.cycle_id, fixmedins_code),
        await repo.confirmations(cycle.cycle_id, fixmedins_code),
    )


async def _record_prepayment(
    uow: UnitOfWork, decide: Callable[..., domain.PrepaymentEntry | None], command: AdvancePrepayment | RefundPrepayment,
) -> PrepaymentOutcome:
    ledger = await uow.repo.prepayments(command.scope_key)  # locks the scope's ledger
    entry = decide(ledger, entry_id=command.entry_id, scope_key=command.scope_key, admdvs=command.admdvs,
                   amount=command.amount, at=uow.now)
    if entry is None:  # this command was recorded already
        return PrepaymentOutcome(command.entry_id, False, prepayment_balances(ledger).get(command.admdvs, 0))
    await uow.repo.add_prepayments([entry])
    balance = prepayment_balances([*ledger, entry]).get(command.admdvs, 0)
    uow.emit(command.scope_key, events.prepayment_recorded(entry, balance))
    return PrepaymentOutcome(command.entry_id, True, balance)


# The commands a transaction of their own runs (Reconcile first fetches the settlement records).
COMMAND_HANDLERS: dict[type, Callable[[UnitOfWork, Any], Awaitable[Any]]] = {
    CloseCycle: close_cycle,
    AdvancePrepayment: advance_prepayment,
    RefundPrepayment: refund_prepayment,
    ConfirmItems: confirm_items,
    RollBackItems: roll_back_items,
}
