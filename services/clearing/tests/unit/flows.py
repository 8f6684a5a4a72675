"""What the service layer's handlers do, in their simplest form: load, let the domain decide, store.

Tests drive the rules end to end through these over the in-memory repository. The real handlers add
the unit of work (one transaction, the locks `ports.py` names) and the message id of the inbox.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from services.clearing.domain import (
    MONTHLY, ClaimFact, ClearingCycle, CloseReason, ClearingRepository, Confirmation, CycleCalendar, CycleClosing,
    DetailLine, Obligation, confirm_items, institution_detail, prepayment_balances, roll_back_items,
)


def receive(repo: ClearingRepository, fact: ClaimFact, now: datetime, calendar: CycleCalendar = MONTHLY) -> list[Obligation]:
    """A ClaimSettled or ClaimCancelled arrived."""
    scope = fact.scope
    if scope is None:
        return []
    cycle = repo.open_cycle(scope.key)
    if cycle is None:
        cycle = ClearingCycle.first(scope, now, calendar)
        repo.add_cycle(cycle)
    rows = cycle.record(fact, repo.obligations_of_claim(fact.setl_id), now)
    repo.add_obligations(rows)
    return rows


def close(
    repo: ClearingRepository, cycle_id: str, now: datetime, reason: CloseReason = "command",
    calendar: CycleCalendar = MONTHLY,
) -> CycleClosing:
    cycle = repo.get_cycle(cycle_id)
    closing = cycle.close(
        now, reason=reason, bilateral=repo.bilateral_totals(cycle_id),
        prepayment_balances=prepayment_balances(repo.prepayments(cycle.scope_key)), calendar=calendar,
    )
    repo.save_cycle(closing.closed)
    repo.add_cycle(closing.next_cycle)
    repo.add_net_positions(closing.net_positions)
    repo.add_prepayments(closing.prepayments_applied)
    return closing


def close_due(repo: ClearingRepository, now: datetime, calendar: CycleCalendar = MONTHLY) -> list[CycleClosing]:
    """The scheduler's tick."""
    return [close(repo, c.cycle_id, now, "schedule", calendar) for c in repo.open_cycles() if c.is_due(now)]


def detail(repo: ClearingRepository, cycle_id: str, fixmedins_code: str) -> list[DetailLine]:
    """3260."""
    cycle = repo.get_cycle(cycle_id)
    return institution_detail(
        cycle, fixmedins_code, repo.obligations_of_cycle(cycle_id, fixmedins_code),
        repo.confirmations(cycle_id, fixmedins_code),
    )


def confirm(
    repo: ClearingRepository, cycle_id: str, fixmedins_code: str, setl_ids: Iterable[str] | None, at: datetime,
) -> list[Confirmation]:
    """3261."""
    rows = confirm_items(repo.get_cycle(cycle_id), detail(repo, cycle_id, fixmedins_code), setl_ids, at)
    repo.add_confirmations(rows)
    return rows


def roll_back(
    repo: ClearingRepository, cycle_id: str, fixmedins_code: str, setl_ids: Iterable[str] | None, at: datetime,
) -> tuple[list[Confirmation], list[Obligation]]:
    """3262."""
    cycle = repo.get_cycle(cycle_id)
    target = repo.open_cycle(cycle.scope_key)
    assert target is not None, "a closed cycle's scope always has an open one"
    decisions, returned = roll_back_items(cycle, detail(repo, cycle_id, fixmedins_code), setl_ids, target, at)
    repo.add_confirmations(decisions)
    repo.add_obligations(returned)
    return decisions, returned
