"""Statements and balances as pure functions of the postings, in ledger order.

They need nothing but the journal, so they double as the reconciliation of the account rows: the
balances computed here must equal the rows the adapter keeps.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from libs.money import Fen
from services.wallet.domain.accounts import AccountId, Bucket, owner_of, personal
from services.wallet.domain.personal_account import Balances
from services.wallet.domain.postings import Posting, PostingKind


@dataclass(frozen=True)
class StatementLine:
    """One posting as seen from an account (or a person): the change and the running balance after it."""

    key: str
    kind: PostingKind
    occurred_at: datetime
    amount: Fen
    balance: Fen


def account_statement(account: AccountId, postings: Iterable[Posting]) -> tuple[StatementLine, ...]:
    """Every posting that moved `account`, with its running balance."""
    lines, balance = [], 0
    for posting in postings:
        amount = posting.amount_for(account)
        if amount:
            balance += amount
            lines.append(StatementLine(posting.key, posting.kind, posting.occurred_at, amount, balance))
    return tuple(lines)


def person_statement(psn_no: str, postings: Iterable[Posting]) -> tuple[StatementLine, ...]:
    """A person's history across their three balances, running the total.

    A year rollover shows with amount 0: the money only moved from the current year to the prior years.
    """
    lines, balance = [], 0
    for posting in postings:
        if psn_no in posting.persons():
            amount = posting.net_for_person(psn_no)
            balance += amount
            lines.append(StatementLine(posting.key, posting.kind, posting.occurred_at, amount, balance))
    return tuple(lines)


def balances_of(psn_no: str, postings: Iterable[Posting]) -> Balances:
    """Prior-years, current-year and wallet balances (and their total) from the journal alone."""
    sums = dict.fromkeys(Bucket, 0)
    accounts = {personal(psn_no, bucket): bucket for bucket in Bucket}
    for posting in postings:
        for entry in posting.entries:
            if entry.account in accounts:
                sums[accounts[entry.account]] += entry.amount
    return Balances(sums[Bucket.PRIOR_YEARS], sums[Bucket.CURRENT_YEAR], sums[Bucket.WALLET])


def trial_balance(postings: Iterable[Posting]) -> dict[AccountId, Fen]:
    """Every account's balance; the values always sum to zero."""
    totals: dict[AccountId, Fen] = {}
    for posting in postings:
        for entry in posting.entries:
            totals[entry.account] = totals.get(entry.account, 0) + entry.amount
    return totals


def persons_in(postings: Iterable[Posting]) -> frozenset[str]:
    return frozenset(owner[0] for p in postings for e in p.entries if (owner := owner_of(e.account)))
