"""What an operation decides, and the scratchpad it decides on.

Every money operation is a pure function of the request and the rows the caller locked; it returns
a `Decision`: postings to append, person rows to update, a record to insert, and the outcome to answer.
The caller writes all of it in the same transaction that holds the locks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from services.wallet.domain.clock import china_year
from services.wallet.domain.errors import LocksIncomplete
from services.wallet.domain.personal_account import PersonalAccount
from services.wallet.domain.postings import Posting

OutcomeT = TypeVar("OutcomeT")


@dataclass(frozen=True)
class Decision(Generic[OutcomeT]):
    """`record` is the new row to insert (a `Credited`, `ClaimPayment`, `ClaimRefund`, `Transfer` or
    `PremiumPayment`), or None. A replay of an earlier request has nothing to write."""

    outcome: OutcomeT
    postings: tuple[Posting, ...] = ()
    accounts: tuple[PersonalAccount, ...] = ()
    record: object | None = None

    @property
    def replayed(self) -> bool:
        return not self.postings and not self.accounts and self.record is None


def check_locked(accounts: Mapping[str, PersonalAccount], psn_nos: Iterable[str]) -> None:
    """Every person whose money the operation may move must have been locked by the caller."""
    missing = sorted(set(psn_nos) - set(accounts))
    if missing:
        raise LocksIncomplete(f"Lock the account rows of {', '.join(missing)} too, then try again.")
    for psn_no, account in accounts.items():
        if account.psn_no != psn_no:
            raise LocksIncomplete(f"The row loaded for {psn_no} belongs to {account.psn_no}.")


class Draft:
    """Locked accounts as the operation changes them, and the postings that change them."""

    def __init__(self, accounts: Mapping[str, PersonalAccount], at: datetime) -> None:
        self.at = at
        self.year = china_year(at)
        self._accounts = dict(accounts)
        self._changed: dict[str, PersonalAccount] = {}
        self._postings: list[Posting] = []

    def account(self, psn_no: str) -> PersonalAccount:
        check_locked(self._accounts, [psn_no])
        return self._accounts[psn_no]

    def roll_forward(self, psn_no: str) -> PersonalAccount:
        """The account in the operation's China year, its current-year money moved to prior years if needed."""
        before = self.account(psn_no)
        after, posting = before.rolled_to(self.year, self.at)
        if posting is not None:
            self._postings.append(posting)
        if after != before:
            self._set(after)
        return after

    def post(self, posting: Posting) -> None:
        for psn_no in sorted(posting.persons()):
            self._set(self.account(psn_no).applied(posting))
        self._postings.append(posting)

    def decision(self, outcome: OutcomeT, record: object | None = None) -> Decision[OutcomeT]:
        return Decision(outcome, tuple(self._postings), tuple(self._changed.values()), record)

    def _set(self, account: PersonalAccount) -> None:
        self._accounts[account.psn_no] = account
        self._changed[account.psn_no] = account
