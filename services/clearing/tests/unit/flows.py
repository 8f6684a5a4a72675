"""What the service layer's handlers do, in their simplest form: load, let the domain decide, store.

Tests drive the rules end to end through these over the in-memory repository. The real handlers add
the transaction the consumer runtime opens (with the locks `ports.py` names) and its inbox.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from services.clearing.domain import (
    MONTHLY,
    ClaimFact,
    ClearingCycle,
    ClearingRepository,
    CloseReason,
    Confirmation,
    CycleCalendar,
    CycleClosing,
    DetailLine,
    Obligation,
    confirm_items,
    institution_detail,
    prepayment_balances,
    roll_back_items,
)


async def receive(
    repo: ClearingRepository, fact: ClaimFact, now: datetime, calendar: CycleCalendar = MONTHLY,
) -> list[Obligation]:
    """A ClaimSettled or ClaimCancelled arrived."""
    scope = fact.scope
    if scope is None:
        return []
    cycle = await repo.open_cycle(scope.key)
    if cycle is None:
        cycle = ClearingCycle.first(scope, now, calendar)
        await repo.add_cycle(cycle)
    rows = cycle.record(fact, await repo.obligations_of_claim(fact.setl_id), now)
    await repo.add_obligations(rows)
    return rows


async def close(
    repo: ClearingRepository, cycle_id: str, now: datetime, reason: CloseReason = "command",
    calendar: CycleCalendar = MONTHLY,
) -> CycleClosing:
    cycle = await repo.get_cycle(cycle_id)
    closing = cycle.close(
        now, reason=reason, bilateral=await repo.bilateral_totals(cycle_id),
        prepayment_balances=prepayment_balances(await repo.prepayments(cycle.scope_key)), calendar=calendar,
    )
    await repo.save_cycle(closing.closed)
    await repo.add_cycle(closing.next_cycle)
    await repo.add_net_positions(closing.net_positions)
    await repo.add_prepayments(closing.prepayments_applied)
    return closing


async def close_due(repo: ClearingRepository, now: datetime, calendar: CycleCalendar = MONTHLY) -> list[CycleClosing]:
    """The scheduler's tick."""
    return [await close(repo, c.cycle_id, now, "schedule", calendar) for c in await repo.open_cycles() if c.is_due(now)]


async def detail(repo: ClearingRepository, cycle_id: str, fixmedins_code: str) -> list[DetailLine]:
    """3260."""
    return institution_detail(
        await repo.get_cycle(cycle_id), fixmedins_code, await repo.obligations_of_cycle(cycle_id, fixmedins_code),
        await repo.confirmations(cycle_id, fixmedins_code),
    )


async def confirm(
    repo: ClearingRepository, cycle_id: str, fixmedins_code: str, setl_ids: Iterable[str] | None, at: datetime,
) -> list[Confirmation]:
    """3261."""
    rows = confirm_items(await repo.get_cycle(cycle_id), await detail(repo, cycle_id, fixmedins_code), setl_ids, at)
    await repo.add_confirmations(rows)
    return rows


async def roll_back(
    repo: ClearingRepository, cycle_id: str, fixmedins_code: str, setl_ids: Iterable[str] | None, at: datetime,
) -> tuple[list[Confirmation], list[Obligation]]:
    """3262."""
    cycle = await repo.get_cycle(cycle_id)
    target = await repo.open_cycle(cycle.scope_key)
    assert target is not None, "closing a cycle always opens the next one of its scope"
    decisions, returned = roll_back_items(cycle, await detail(repo, cycle_id, fixmedins_code), setl_ids, target, at)
    await repo.add_confirmations(decisions)
    await repo.add_obligations(returned)
    return decisions, returned
