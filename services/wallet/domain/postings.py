"""Double entry: every movement of money is one balanced, immutable posting.

An entry's amount is signed from the account's point of view: positive money flows into the
account, negative flows out. The entries of a posting sum to zero, so the whole ledger always sums to
zero. A posting is never changed or deleted; a correction is a new posting (a claim refund is the
mirror of its payment).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from libs.money import Fen
from services.wallet.domain.accounts import AccountId, owner_of
from services.wallet.domain.errors import UnbalancedPosting


class PostingKind(StrEnum):
    CREDIT = "credit"
    YEAR_ROLLOVER = "year_rollover"
    CLAIM_PAYMENT = "claim_payment"
    CLAIM_REFUND = "claim_refund"
    PREMIUM_PAYMENT = "premium_payment"
    WALLET_TRANSFER = "wallet_transfer"


@dataclass(frozen=True)
class Entry:
    account: AccountId
    amount: Fen

    def __post_init__(self) -> None:
        if type(self.amount) is not int or self.amount == 0:
            raise UnbalancedPosting(f"An entry needs a non-zero amount in integer fen, not {self.amount!r}.")
        if not isinstance(self.account, str) or not self.account:
            raise UnbalancedPosting("An entry needs an account.")


@dataclass(frozen=True)
class Posting:
    """A balanced set of entries, written once under its idempotency `key`."""

    key: str
    kind: PostingKind
    occurred_at: datetime
    entries: tuple[Entry, ...]

    def __post_init__(self) -> None:
        check_balanced(self)

    def amount_for(self, account: AccountId) -> Fen:
        return sum(e.amount for e in self.entries if e.account == account)

    def persons(self) -> frozenset[str]:
        """The people whose balances this posting moves (their rows must be locked to write it)."""
        return frozenset(owner[0] for e in self.entries if (owner := owner_of(e.account)))

    def net_for_person(self, psn_no: str) -> Fen:
        return sum(e.amount for e in self.entries if (owner := owner_of(e.account)) and owner[0] == psn_no)


def check_balanced(posting: Posting) -> None:
    """At least two entries, each account once, amounts summing to zero, an aware timestamp."""
    if not posting.key:
        raise UnbalancedPosting("A posting needs an idempotency key.")
    if posting.occurred_at.tzinfo is None:
        raise UnbalancedPosting(f"Posting {posting.key} needs a time zone on its time.")
    if len(posting.entries) < 2:
        raise UnbalancedPosting(f"Posting {posting.key} needs at least two entries.")
    accounts = [e.account for e in posting.entries]
    if len(set(accounts)) != len(accounts):
        raise UnbalancedPosting(f"Posting {posting.key} names an account twice.")
    total = sum(e.amount for e in posting.entries)
    if total != 0:
        raise UnbalancedPosting(f"Posting {posting.key} does not balance: its entries sum to {total} fen.")


def merged(amounts: Iterable[tuple[AccountId, Fen]]) -> tuple[Entry, ...]:
    """Entries from (account, amount) pairs, one per account in first-seen order, zeros dropped."""
    totals: dict[AccountId, Fen] = {}
    for account, amount in amounts:
        totals[account] = totals.get(account, 0) + amount
    return tuple(Entry(account, amount) for account, amount in totals.items() if amount != 0)
