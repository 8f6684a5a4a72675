"""A settled claim's life after adjudication: the aggregate that owns its status.

    adjudicated --wallet paid--> settled --cancel--> cancelling --wallet refunded--> cancelled
         \\--wallet refused--> void            \\--wallet refused the refund--> settled again
    settled (a manual reimbursement) --bank transfer recorded--> settled, paid out

Each transition is guarded by a `check_*` that raises a named `ClaimStateError` (its reason code is
what the hospital or the office is told), changes the status, and records an event saying what the
service layer must do: move the accumulators by a delta, post fund entries, answer the caller. The
arithmetic is the domain's reversal (`reversal.take_back`, as `reverse` uses it): a cancellation's
delta is the stored delta negated, its entries the contra of the stored postings; nothing is recomputed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from libs.errors import DomainError
from libs.money import Fen
from services.settlement.domain.accumulators import AccumulatorDelta
from services.settlement.domain.ledger import (
    Posting,
    account_postings,
    check_balanced,
    payout_postings,
    person_payable_account,
)
from services.settlement.domain.reversal import take_back


class Status(StrEnum):
    ADJUDICATED = "adjudicated"  # stored, the wallet is paying the personal part
    SETTLED = "settled"
    CANCELLING = "cancelling"  # the wallet is refunding
    CANCELLED = "cancelled"
    VOID = "void"  # the wallet could not pay: nothing was settled


class Kind(StrEnum):
    DIRECT = "direct"  # settled at the hospital's or pharmacy's counter
    REIMBURSEMENT = "reimbursement"  # 零星报销: claimed at the office after the patient paid in full


class ClaimStateError(DomainError):
    """The claim is not in a state that allows the request; nothing changed."""


class NotFound(ClaimStateError):
    reason_code = "CLAIM_NOT_FOUND"


class InProgress(ClaimStateError):
    reason_code = "CLAIM_IN_PROGRESS"


class AlreadyPaidOut(ClaimStateError):
    reason_code = "REIMBURSEMENT_PAID_OUT"


class PayoutMismatch(ClaimStateError):
    reason_code = "PAYOUT_MISMATCH"


# Events: what happened, for the service layer to carry out and announce.
@dataclass(frozen=True)
class Settled:
    postings: tuple[Posting, ...]  # the fund entries to post: the settlement's, a reimbursement's accounts' part
    wallet: Mapping[str, Fen]  # how the wallet paid the personal part (acct_pay, acct_mulaid_pay, psn_cash_pay, balc)
    added: tuple[Posting, ...] = ()  # postings the claim keeps from now on besides those stored at adjudication


@dataclass(frozen=True)
class CancellationAccepted:
    delta: AccumulatorDelta  # to add to the accumulators (the settlement's, negated)


@dataclass(frozen=True)
class Cancelled:
    postings: tuple[Posting, ...]  # the contra entries


@dataclass(frozen=True)
class Voided:
    delta: AccumulatorDelta


@dataclass(frozen=True)
class CancellationRefused:
    delta: AccumulatorDelta  # the settlement's own, given back


@dataclass(frozen=True)
class PaidOut:
    postings: tuple[Posting, ...]
    amount: Fen


Event = Settled | CancellationAccepted | Cancelled | Voided | CancellationRefused | PaidOut


@dataclass
class SettlementClaim:
    """One stored claim. `delta` and `postings` are what its settlement did; `record` holds the stored
    documents (amounts, fund rows, explanation, wallet split) that outcomes are rebuilt from."""

    claim_id: str
    setl_id: str
    kind: Kind
    status: Status
    psn_no: str
    fixmedins_code: str
    insuplc_admdvs: str
    # What its settlement did to the accumulators, or how to read it: a stored claim reads it only when
    # it is taken back (most claims are only ever settled; reading it for each cost the wallet's answers).
    delta: AccumulatorDelta | Callable[[], AccumulatorDelta]
    postings: tuple[Posting, ...]
    office_ref: str | None = None
    cancel_id: str | None = None
    paid_out: bool = False
    record: Mapping[str, Any] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)

    # -- guards -----------------------------------------------------------------------------------
    def check_cancellable_by_institution(self, fixmedins_code: str) -> None:
        """A hospital cancels only a claim it settled directly (an office's reimbursement is the office's)."""
        if self.kind is not Kind.DIRECT or self.fixmedins_code != fixmedins_code:
            raise NotFound(f"no settled claim {self.claim_id} at institution {fixmedins_code}")
        self._check_not_in_progress()

    def check_cancellable_by_office(self, region: str) -> None:
        if self.kind is not Kind.REIMBURSEMENT or self.insuplc_admdvs != region:
            raise NotFound(f"no reimbursement {self.office_ref} of region {region}")
        self._check_not_in_progress()
        if self.paid_out:
            raise AlreadyPaidOut(f"reimbursement {self.office_ref} was already paid out to the person; "
                                 "recover the money before withdrawing it")

    def _check_not_in_progress(self) -> None:
        if self.status is Status.ADJUDICATED:
            raise InProgress(f"claim {self.claim_id} is still being paid; send the cancellation again shortly")

    def check_payable(self, region: str, amount: Fen) -> None:
        if self.kind is not Kind.REIMBURSEMENT or self.insuplc_admdvs != region or self.status is not Status.SETTLED:
            raise NotFound(f"no settled reimbursement {self.office_ref} of region {region} to pay out")
        if amount != self.payable:
            raise PayoutMismatch(f"reimbursement {self.office_ref} pays {self.payable} fen to the person, not {amount}")

    # -- transitions --------------------------------------------------------------------------------
    def wallet_paid(self, wallet: Mapping[str, Fen]) -> None:
        """Adjudicated → settled: the entries stored at adjudication are posted. A reimbursement's
        accounts' part (an employee's account paid the person's share) is owed to the person with the
        funds' part, and kept with the postings so a cancellation's contra takes it back too. An answer
        already applied changes nothing (no event)."""
        if self.status is not Status.ADJUDICATED:
            return
        added = (account_postings(self.insuplc_admdvs, self.psn_no, wallet["acct_pay"] + wallet["acct_mulaid_pay"])
                 if self.kind is Kind.REIMBURSEMENT else ())
        check_balanced(self.setl_id, self.postings + added)
        self.postings += added
        self.status = Status.SETTLED
        self.events.append(Settled(self.postings, wallet, added))

    def request_cancel(self, cancel_id: str) -> None:
        """Settled → cancelling; a cancelling or cancelled claim is left as it is (asked again)."""
        if self.status is not Status.SETTLED:
            return
        self.status, self.cancel_id = Status.CANCELLING, cancel_id
        self.events.append(CancellationAccepted(self._undo()[0]))

    def complete_cancel(self) -> None:
        """The wallet refunded: post the contra entries of everything the settlement posted."""
        if self.status is not Status.CANCELLING:
            return
        self.status = Status.CANCELLED
        self.events.append(Cancelled(self._undo()[1]))

    def wallet_refused(self) -> None:
        """The wallet could not pay (the claim is void) or refund (the settlement stands)."""
        if self.status is Status.ADJUDICATED:
            self.status = Status.VOID
            self.events.append(Voided(self._undo()[0]))
        elif self.status is Status.CANCELLING:
            self.status, self.cancel_id = Status.SETTLED, None
            self.events.append(CancellationRefused(self.settlement_delta()))

    def pay_out(self, region: str, amount: Fen) -> None:
        """Record the bank transfer; recorded already, nothing changes (no event)."""
        if self.paid_out and self.kind is Kind.REIMBURSEMENT and self.insuplc_admdvs == region:
            return
        self.check_payable(region, amount)
        self.paid_out = True
        self.events.append(PaidOut(payout_postings(self.insuplc_admdvs, self.psn_no, amount), amount))

    def _undo(self) -> tuple[AccumulatorDelta, tuple[Posting, ...]]:
        """The domain's reversal of what this claim's settlement did (`reversal.take_back`)."""
        return take_back(self.settlement_delta(), self.postings)

    def settlement_delta(self) -> AccumulatorDelta:
        """What the settlement did to the accumulators (read once, when first asked)."""
        if callable(self.delta):
            self.delta = self.delta()
        return self.delta

    def pull_events(self) -> list[Event]:
        """The events recorded since last asked, handed to the service layer once."""
        events, self.events = self.events, []
        return events

    @property
    def payable(self) -> Fen:
        """What a reimbursement owes the person: the funds' part and the accounts' part."""
        return sum(p.credit - p.debit for p in self.postings if p.account == person_payable_account(self.insuplc_admdvs, self.psn_no))

