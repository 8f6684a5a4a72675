"""Clearing's named errors, each with a stable reason code and a sentence an agency clerk can act on.

`ClearingRefusal`s are answers to a command (close, confirm, roll back, refund): nothing was recorded
and the reason goes back to the caller. `ClearingFault`s come from facts that cannot be admitted (a
settled or cancelled claim that contradicts what clearing already holds); the consumer must park the
message in the dead-letter topic with its reason, never log and carry on.
"""

from __future__ import annotations

from typing import ClassVar

from libs.errors import DomainError


class ClearingError(DomainError):
    """Base of every clearing error: `reason_code` is stable, `sentence` is for people (libs/errors.py)."""

    reason_code: ClassVar[str] = "CLEARING_ERROR"


class ClearingRefusal(ClearingError):
    """A command clearing refuses; nothing was recorded."""


class ClearingFault(ClearingError):
    """A fact clearing cannot admit; park it with its reason."""


# Inputs
class InvalidRegionCode(ClearingFault):
    reason_code = "INVALID_ADMDVS"


class InvalidAmount(ClearingRefusal):
    reason_code = "INVALID_AMOUNT"


class NaiveTime(ClearingRefusal):
    reason_code = "NAIVE_TIME"


class InvalidCalendar(ClearingRefusal):
    reason_code = "INVALID_CALENDAR"


# Facts from settlement
class InvalidFundAmount(ClearingFault):
    reason_code = "INVALID_FUND_AMOUNT"


class FundDetailMismatch(ClearingFault):
    """The fund rows (setldetail) do not add up to fund_pay_sumamt."""

    reason_code = "FUND_DETAIL_MISMATCH"


class ConflictingRedelivery(ClearingFault):
    """A fact with an idempotency key clearing already holds, but with different content."""

    reason_code = "CONFLICTING_REDELIVERY"


class CancellationMismatch(ClearingFault):
    """A cancellation that is not the exact mirror of its settlement."""

    reason_code = "CANCELLATION_MISMATCH"


class ScopeMismatch(ClearingFault):
    """A fact or an item offered to a cycle of another clearing scope."""

    reason_code = "SCOPE_MISMATCH"


# Cycles
class CycleNotFound(ClearingRefusal):
    reason_code = "CYCLE_NOT_FOUND"


class CycleNotOpen(ClearingRefusal):
    reason_code = "CYCLE_NOT_OPEN"


class CycleNotClosed(ClearingRefusal):
    reason_code = "CYCLE_NOT_CLOSED"


class CycleNotDue(ClearingRefusal):
    reason_code = "CYCLE_NOT_DUE"


# Confirmation (3260 / 3261 / 3262)
class ItemNotInDetail(ClearingRefusal):
    reason_code = "ITEM_NOT_IN_DETAIL"


class ItemRolledBack(ClearingRefusal):
    reason_code = "ITEM_ROLLED_BACK"


# Prepayments (预付金)
class PrepaymentInsufficient(ClearingRefusal):
    reason_code = "PREPAYMENT_INSUFFICIENT"


class PrepaymentIdReused(ClearingRefusal):
    reason_code = "PREPAYMENT_ID_REUSED"


class RegionNotInScope(ClearingRefusal):
    """A prepayment to a provincial platform from a region of another province."""

    reason_code = "REGION_NOT_IN_SCOPE"
