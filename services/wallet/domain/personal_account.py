"""A person's account row: the three bucket balances and the year the current-year bucket belongs to.

This is what the Postgres adapter keeps one row of per person and locks (`SELECT … FOR UPDATE`)
before any movement of that person's money; the postings are the journal that explains it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from libs.money import Fen, format_yuan
from services.wallet.domain.accounts import Bucket, owner_of, personal
from services.wallet.domain.errors import NegativeBalance
from services.wallet.domain.postings import Entry, Posting, PostingKind


@dataclass(frozen=True)
class Balances:
    """A person's balances: 历年结余, the current year's credits, and wallet money received."""

    prior_years: Fen = 0
    current_year: Fen = 0
    wallet: Fen = 0

    @property
    def total(self) -> Fen:
        return self.prior_years + self.current_year + self.wallet

    def of(self, bucket: Bucket) -> Fen:
        amount: Fen = getattr(self, bucket.value)  # each bucket's value names its field
        return amount


@dataclass(frozen=True)
class Draw:
    """Money taken from one bucket of one person, kept so that a refund returns it exactly there.

    `year` is the account's year when drawn: current-year money refunded after a rollover belongs
    to the prior years by then.
    """

    psn_no: str
    bucket: Bucket
    amount: Fen
    year: int


@dataclass(frozen=True)
class PersonalAccount:
    """`year` 0 means the row was just opened and has never held money."""

    psn_no: str
    year: int = 0
    prior_years: Fen = 0
    current_year: Fen = 0
    wallet: Fen = 0

    @property
    def balances(self) -> Balances:
        return Balances(self.prior_years, self.current_year, self.wallet)

    @property
    def total(self) -> Fen:
        return self.balances.total

    def available(self, buckets: Sequence[Bucket]) -> Fen:
        return sum(self.balances.of(b) for b in buckets)

    def draws(self, wanted: Fen, buckets: Sequence[Bucket]) -> tuple[Draw, ...]:
        """Take up to `wanted` from `buckets` in the order given; never more than each holds."""
        taken: list[Draw] = []
        for bucket in buckets:
            amount = min(wanted, self.balances.of(bucket))
            if amount > 0:
                taken.append(Draw(self.psn_no, bucket, amount, self.year))
                wanted -= amount
        return tuple(taken)

    def rolled_to(self, year: int, at: datetime) -> tuple[PersonalAccount, Posting | None]:
        """Move the current-year balance into the prior years when `year` is later than the account's.

        A later year never moves back: an operation dated in an earlier year (a late message) just
        uses the balances as they stand.
        """
        if year <= self.year:
            return self, None
        moved = replace(self, year=year)
        if self.current_year == 0:
            return moved, None
        posting = Posting(
            key=f"rollover:{self.psn_no}:{year}", kind=PostingKind.YEAR_ROLLOVER, occurred_at=at,
            entries=(
                Entry(personal(self.psn_no, Bucket.CURRENT_YEAR), -self.current_year),
                Entry(personal(self.psn_no, Bucket.PRIOR_YEARS), self.current_year),
            ),
        )
        return moved.applied(posting), posting

    def applied(self, posting: Posting) -> PersonalAccount:
        """This account after the posting's entries on its buckets; refuses to go below zero."""
        changes = {b.value: 0 for b in Bucket}
        for entry in posting.entries:
            owner = owner_of(entry.account)
            if owner and owner[0] == self.psn_no:
                changes[owner[1].value] += entry.amount
        after = replace(self, **{name: getattr(self, name) + delta for name, delta in changes.items()})
        check_never_negative(after, posting)
        return after


def check_never_negative(account: PersonalAccount, posting: Posting) -> None:
    for bucket in Bucket:
        if account.balances.of(bucket) < 0:
            raise NegativeBalance(
                f"Posting {posting.key} would leave {account.psn_no}'s {bucket.value} balance at "
                f"{format_yuan(account.balances.of(bucket))} yuan."
            )
