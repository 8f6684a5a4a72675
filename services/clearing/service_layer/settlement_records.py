"""The port to the settlement engine's records, which reconciliation (3201/3202) checks a cycle against.

The engine answers with every settled and cancelled claim of a time window as `ClaimFact`s (the shape
clearing admits facts in), a page at a time: reconciliation stages each page before asking for the
next, so a cycle's records are never held whole; local claims and other scopes' claims may be among them, reconciliation
leaves them out. A cycle is reconciled against its period: from the first day's midnight to the
midnight after its last day, China time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, time
from typing import Protocol

from services.clearing.domain import CHINA_TIME, ClaimFact, ClearingCycle, ClearingError


class SettlementRecordsUnavailable(ClearingError):
    """The settlement engine could not be asked, or answered something that is not its records."""

    reason_code = "SETTLEMENT_UNAVAILABLE"


class SettlementRecords(Protocol):
    def pages(self, start: datetime, end: datetime) -> AsyncIterator[list[ClaimFact]]:
        """Settled and cancelled claims with `start <= occurred_at < end`, a page at a time;
        `SettlementRecordsUnavailable` if they cannot be read."""
        ...


def period_window(cycle: ClearingCycle) -> tuple[datetime, datetime]:
    """The settlement times a cycle reconciles against."""
    return (datetime.combine(cycle.period_start, time(), CHINA_TIME),
            datetime.combine(cycle.period_end, time(), CHINA_TIME))
