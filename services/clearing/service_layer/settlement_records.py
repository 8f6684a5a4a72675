"""The port to the settlement engine's records, which reconciliation (3201/3202) checks a cycle against.

The engine answers with every settled and cancelled claim of a time window as `ClaimFact`s (the shape
clearing admits facts in); local claims and other scopes' claims may be among them, reconciliation
leaves them out. A cycle is reconciled against its period: from the first day's midnight to the
midnight after its last day, China time.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Protocol

from services.clearing.domain import CHINA_TIME, ClaimFact, ClearingCycle, ClearingError


class SettlementRecordsUnavailable(ClearingError):
    """The settlement engine could not be asked, or answered something that is not its records."""

    reason_code = "SETTLEMENT_UNAVAILABLE"


class SettlementRecords(Protocol):
    async def records(self, start: datetime, end: datetime) -> list[ClaimFact]:
        """Settled and cancelled claims with `start <= occurred_at < end`; `SettlementRecordsUnavailable` if not."""
        ...


def period_window(cycle: ClearingCycle) -> tuple[datetime, datetime]:
    """The settlement times a cycle reconciles against."""
    return (datetime.combine(cycle.period_start, time(), CHINA_TIME),
            datetime.combine(cycle.period_end, time(), CHINA_TIME))
