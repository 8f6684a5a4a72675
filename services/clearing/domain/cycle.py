"""The clearing cycle: the aggregate that admits obligations and, once closed, never changes.

Each clearing scope (the national platform, or one province's) has exactly one open cycle at a time.
An obligation lands in the scope's open cycle when it arrives, whatever its settlement time: a claim
settled on 31 January that arrives after the January cycle closed belongs to February's. Assignment by
arrival makes every obligation land in exactly one cycle without ever reopening a closed one; the
period only says when a cycle is due to close and what to reconcile it against.

Closing (on command, or on schedule once the period has ended) nets the cycle, applies prepayments
and opens the next cycle, all in one step, so the scope is never without an open cycle.

The cycle row holds only its header; the obligations stay separate rows, so admitting one does not
load the cycle's millions of others. Closing needs only their bilateral totals (`netting.py`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from libs.money import Fen
from services.clearing.domain.calendar import MONTHLY, CycleCalendar, Period, business_date, check_aware
from services.clearing.domain.errors import CycleNotClosed, CycleNotDue, CycleNotOpen, ScopeMismatch
from services.clearing.domain.facts import ClaimFact
from services.clearing.domain.netting import NetPosition, Pair, net_positions
from services.clearing.domain.obligations import (
    Obligation,
    already_applied,
    check_mirrors_counterpart,
    obligations_for,
    origin_cycle_of,
)
from services.clearing.domain.prepayments import PrepaymentEntry, apply_prepayments
from services.clearing.domain.regions import ClearingScope

CycleStatus = Literal["open", "closed"]
CloseReason = Literal["command", "schedule"]


@dataclass
class ClearingCycle:
    """One cycle of one clearing scope, as one flat row."""

    cycle_id: str
    scope_key: str
    period_start: date
    period_end: date
    opened_at: datetime
    status: CycleStatus = "open"
    closed_at: datetime | None = None
    close_reason: CloseReason | None = None

    @classmethod
    def for_period(cls, scope: ClearingScope, period: Period, opened_at: datetime) -> ClearingCycle:
        check_aware(opened_at, "opening time")
        cycle_id = f"{scope.key}/{period.start.isoformat()}"
        return cls(cycle_id, scope.key, period.start, period.end, opened_at)

    @classmethod
    def first(cls, scope: ClearingScope, now: datetime, calendar: CycleCalendar = MONTHLY) -> ClearingCycle:
        """The scope's first cycle: the period containing today."""
        return cls.for_period(scope, calendar.period_containing(business_date(now)), now)

    @property
    def scope(self) -> ClearingScope:
        return ClearingScope.from_key(self.scope_key)

    @property
    def period(self) -> Period:
        return Period(self.period_start, self.period_end)

    def check_open(self) -> None:
        if self.status != "open":
            raise CycleNotOpen(f"Clearing cycle {self.cycle_id} is closed; nothing in it can change.")

    def check_closed(self) -> None:
        if self.status != "closed":
            raise CycleNotClosed(f"Clearing cycle {self.cycle_id} is still open; its detail is not final yet.")

    def check_same_scope(self, scope_key: str | None, what: str) -> None:
        if scope_key != self.scope_key:
            raise ScopeMismatch(f"{what} belongs to clearing scope {scope_key}, not to {self.scope_key}.")

    def is_due(self, now: datetime) -> bool:
        """Whether the cycle's period has ended (on the China calendar)."""
        return self.status == "open" and business_date(now) >= self.period_end

    def check_due(self, now: datetime) -> None:
        if not self.is_due(now):
            raise CycleNotDue(
                f"Clearing cycle {self.cycle_id} runs until {self.period_end.isoformat()}; "
                "the schedule cannot close it before then (a command can)."
            )

    def record(self, fact: ClaimFact, claim_history: Sequence[Obligation], now: datetime) -> list[Obligation]:
        """Admit a settled or cancelled claim; returns the new rows (none if the fact is already held).

        `claim_history` is every row clearing holds for the fact's setl_id, in any cycle. A
        cancellation whose settlement sits in a closed cycle lands here as an adjustment that points
        back to that cycle; one whose settlement sits in this cycle cancels it out here.
        """
        self.check_open()
        check_aware(now, "arrival time")
        scope = fact.scope
        self.check_same_scope(scope.key if scope else None, f"Settlement {fact.setl_id}")
        if already_applied(fact, claim_history):
            return []
        check_mirrors_counterpart(fact, claim_history)
        return obligations_for(fact, self.cycle_id, now, origin_cycle_of(fact, claim_history))

    def close(
        self, now: datetime, *, reason: CloseReason, bilateral: Mapping[Pair, Fen],
        prepayment_balances: Mapping[str, Fen], calendar: CycleCalendar = MONTHLY,
    ) -> CycleClosing:
        """Close the cycle: net its regions, apply prepayments, open the next cycle."""
        self.check_open()
        check_aware(now, "closing time")
        if reason == "schedule":
            self.check_due(now)
        positions, applied = apply_prepayments(
            net_positions(self.cycle_id, bilateral), prepayment_balances, scope_key=self.scope_key, at=now,
        )
        self.status, self.closed_at, self.close_reason = "closed", now, reason
        following = calendar.period_after(self.period, business_date(now))
        return CycleClosing(self, ClearingCycle.for_period(self.scope, following, now), positions, applied)


@dataclass(frozen=True)
class CycleClosing:
    """What closing a cycle produced; the caller stores all of it in one transaction."""

    closed: ClearingCycle
    next_cycle: ClearingCycle
    net_positions: list[NetPosition]
    prepayments_applied: list[PrepaymentEntry]
