"""Crediting (划入) personal accounts, and the year rollover.

Employees' accounts are credited from their own contributions (`contributions:<region>`); retirees'
receive a fixed credit from the pooling fund (`pooling-fund:<region>`), e.g. 2% of the region's
reference pension. A credit lands in the current-year balance, or in the prior years if it is for an
earlier year than the account's. Each credit is idempotent by its `credit_id`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from libs.money import Fen, apply_ratio
from services.wallet.domain.accounts import (
    Bucket,
    check_identifier,
    check_reference,
    check_region,
    contributions,
    personal,
    pooling_fund,
)
from services.wallet.domain.clock import check_aware
from services.wallet.domain.decision import Decision, Draft
from services.wallet.domain.errors import CreditIdReused, CreditYearInFuture, InvalidAmount
from services.wallet.domain.personal_account import PersonalAccount
from services.wallet.domain.postings import Entry, Posting, PostingKind


class CreditKind(StrEnum):
    CONTRIBUTION = "contribution"
    RETIREE_FIXED = "retiree_fixed"


@dataclass(frozen=True)
class CreditAccount:
    credit_id: str
    psn_no: str
    amount: Fen
    kind: CreditKind
    region: str
    year: int
    at: datetime


@dataclass(frozen=True)
class Credited:
    credit_id: str
    psn_no: str
    amount: Fen
    kind: CreditKind
    region: str
    year: int
    bucket: Bucket
    balc: Fen
    credited_at: datetime

    def same_request(self, cmd: CreditAccount) -> bool:
        return (self.psn_no, self.amount, self.kind, self.region, self.year) == (
            cmd.psn_no, cmd.amount, cmd.kind, cmd.region, cmd.year)


def decide_credit(cmd: CreditAccount, account: PersonalAccount, existing: Credited | None) -> Decision[Credited]:
    """Lock: the person's row. Read: the credit already recorded under `credit_id`, if any."""
    check_reference(cmd.credit_id, "credit id")
    check_identifier(cmd.psn_no, "人员编号")
    check_region(cmd.region)
    check_aware(cmd.at)
    if existing is not None:
        if existing.same_request(cmd):
            return Decision(existing)
        raise CreditIdReused(f"Credit {cmd.credit_id} was already used for a different credit.")
    if type(cmd.amount) is not int or cmd.amount <= 0:
        raise InvalidAmount(f"A credit must be a positive amount in fen, not {cmd.amount!r}.")
    draft = Draft({account.psn_no: account}, cmd.at)
    rolled = draft.roll_forward(cmd.psn_no)
    if cmd.year > rolled.year:
        raise CreditYearInFuture(f"Credit {cmd.credit_id} is for {cmd.year}, which has not begun in China yet.")
    bucket = Bucket.CURRENT_YEAR if cmd.year == rolled.year else Bucket.PRIOR_YEARS
    source = contributions(cmd.region) if cmd.kind is CreditKind.CONTRIBUTION else pooling_fund(cmd.region)
    draft.post(Posting(
        key=f"credit:{cmd.credit_id}", kind=PostingKind.CREDIT, occurred_at=cmd.at,
        entries=(Entry(source, -cmd.amount), Entry(personal(cmd.psn_no, bucket), cmd.amount)),
    ))
    credited = Credited(
        cmd.credit_id, cmd.psn_no, cmd.amount, cmd.kind, cmd.region, cmd.year, bucket,
        balc=draft.account(cmd.psn_no).total, credited_at=cmd.at,
    )
    return draft.decision(credited, record=credited)


def decide_rollover(account: PersonalAccount, at: datetime) -> Decision[PersonalAccount]:
    """Roll one account into the China year of `at` (the start-of-year batch). Lock: the person's row.

    Every other operation rolls the accounts it touches first, so the batch only tidies dormant
    accounts for their statements; running it twice changes nothing.
    """
    check_aware(at)
    draft = Draft({account.psn_no: account}, at)
    return draft.decision(draft.roll_forward(account.psn_no))


def retiree_credit(reference_pension: Fen, rate: Decimal) -> Fen:
    """A retiree's fixed credit: the region's reference pension × its rate (e.g. 2%), half-up to the fen."""
    return apply_ratio(reference_pension, rate)
