"""The wallet's named errors, each with a stable reason code and a sentence a clerk or holder can act on.

`WalletRefusal`s are answers: the request was refused and nothing was posted; the reason code goes on
the wire and the sentence to the counter or the holder's app. The other `WalletError`s are faults the
service retries or parks (a lock set that turned out too small, a posting that breaks double entry);
they are never shown to a holder as a refusal.
"""

from __future__ import annotations

from typing import ClassVar

from libs.errors import DomainError


class WalletError(DomainError):
    """Base of every wallet error: `reason_code` is stable, `sentence` is for people (libs/errors.py)."""

    reason_code: ClassVar[str] = "WALLET_ERROR"


class WalletRefusal(WalletError):
    """A request the wallet refuses; nothing was posted."""


# Requests in general
class InvalidRequest(WalletRefusal):
    reason_code = "INVALID_REQUEST"


class InvalidAmount(WalletRefusal):
    reason_code = "INVALID_AMOUNT"


class InsufficientBalance(WalletRefusal):
    reason_code = "INSUFFICIENT_BALANCE"


# Family mutual aid (家庭共济)
class SelfBinding(WalletRefusal):
    reason_code = "SELF_BINDING"


class NotNearRelative(WalletRefusal):
    reason_code = "NOT_NEAR_RELATIVE"


class HolderNotInsured(WalletRefusal):
    reason_code = "HOLDER_NOT_INSURED"


class HolderHasNoAccount(WalletRefusal):
    reason_code = "HOLDER_HAS_NO_ACCOUNT"


class RelativeNotInsured(WalletRefusal):
    reason_code = "RELATIVE_NOT_INSURED"


class NoUseChosen(WalletRefusal):
    reason_code = "NO_USE_CHOSEN"


class AlreadyBound(WalletRefusal):
    reason_code = "ALREADY_BOUND"


class BindingNotFound(WalletRefusal):
    reason_code = "BINDING_NOT_FOUND"


class NotBoundRelative(WalletRefusal):
    reason_code = "NOT_BOUND_RELATIVE"


class UseNotGranted(WalletRefusal):
    reason_code = "USE_NOT_GRANTED"


# Wallet transfers (医保钱包)
class SelfTransfer(WalletRefusal):
    reason_code = "SELF_TRANSFER"


class TransferLimitExceeded(WalletRefusal):
    reason_code = "TRANSFER_LIMIT_EXCEEDED"


class DailyTransferCountExceeded(WalletRefusal):
    reason_code = "DAILY_TRANSFER_COUNT_EXCEEDED"


class TransferNightWindow(WalletRefusal):
    reason_code = "TRANSFER_NIGHT_WINDOW"


class TransferIdReused(WalletRefusal):
    reason_code = "TRANSFER_ID_REUSED"


# Claims, credits and premiums
class SettlementIdReused(WalletRefusal):
    reason_code = "SETTLEMENT_ID_REUSED"


class UnknownClaim(WalletRefusal):
    reason_code = "UNKNOWN_CLAIM"


class ClaimMismatch(WalletRefusal):
    reason_code = "CLAIM_MISMATCH"


class CreditIdReused(WalletRefusal):
    reason_code = "CREDIT_ID_REUSED"


class CreditYearInFuture(WalletRefusal):
    reason_code = "CREDIT_YEAR_IN_FUTURE"


class PremiumPaymentIdReused(WalletRefusal):
    reason_code = "PREMIUM_PAYMENT_ID_REUSED"


# Faults: retried or parked, never shown as a refusal
class LocksIncomplete(WalletError):
    """The decision needs an account row the caller did not lock: roll back and retry with a new lock set."""

    reason_code = "LOCKS_INCOMPLETE"


class UnbalancedPosting(WalletError):
    """A posting whose entries do not sum to zero (or are malformed): a programming error."""

    reason_code = "UNBALANCED_POSTING"


class NegativeBalance(WalletError):
    """Applying a posting would take a person's balance below zero: the checks before posting were bypassed."""

    reason_code = "NEGATIVE_BALANCE"


class DuplicatePosting(WalletError):
    """A posting with this idempotency key is already in the ledger."""

    reason_code = "DUPLICATE_POSTING"
