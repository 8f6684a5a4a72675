"""Paying the personal part of a claim (个人负担, psn_part_amt) and refunding it when the claim is cancelled.

Order of payment: the patient's own account if they chose to use it (acct_used_flag), in
`policy.own_buckets` order; then family money (acct_mulaid_pay) from holders whose binding grants the
medical use, earliest binding first, each in `policy.family_buckets` order; then cash (psn_cash_pay).
An employee member thus spends their own prior-year balance before family money, and a resident
member, who has no account, goes straight to family money. Exactly once per settlement (setl_id).
A refund returns every draw to the account it came from (current-year money drawn before a rollover
goes back to the prior years); the cash part is handed back at the counter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from libs.money import Fen
from services.wallet.domain.accounts import Bucket, check_identifier, check_reference, claims_payable, personal
from services.wallet.domain.clock import check_aware
from services.wallet.domain.decision import Decision, Draft, check_locked
from services.wallet.domain.errors import ClaimMismatch, InvalidAmount, SettlementIdReused, UnknownClaim
from services.wallet.domain.family import Binding, medical_payers
from services.wallet.domain.personal_account import Draw, PersonalAccount
from services.wallet.domain.policy import WalletPolicy
from services.wallet.domain.postings import Posting, PostingKind, merged


@dataclass(frozen=True)
class PayPersonalPart:
    claim_id: str
    setl_id: str
    psn_no: str
    fixmedins_code: str
    psn_part_amt: Fen
    acct_used_flag: bool
    at: datetime


@dataclass(frozen=True)
class ClaimPayment:
    """How one settlement's personal part was paid; `acct_pay + acct_mulaid_pay + psn_cash_pay == psn_part_amt`."""

    claim_id: str
    setl_id: str
    psn_no: str
    fixmedins_code: str
    psn_part_amt: Fen
    acct_used_flag: bool
    acct_pay: Fen
    acct_mulaid_pay: Fen
    psn_cash_pay: Fen
    balc: Fen
    draws: tuple[Draw, ...]
    paid_at: datetime

    def same_request(self, cmd: PayPersonalPart) -> bool:
        return (self.claim_id, self.psn_no, self.fixmedins_code, self.psn_part_amt, self.acct_used_flag) == (
            cmd.claim_id, cmd.psn_no, cmd.fixmedins_code, cmd.psn_part_amt, cmd.acct_used_flag)


@dataclass(frozen=True)
class RefundPersonalPart:
    claim_id: str
    cancel_id: str
    setl_id: str
    psn_no: str
    fixmedins_code: str
    at: datetime


@dataclass(frozen=True)
class ClaimRefund:
    """A cancelled settlement's personal part given back; `returns` says where each draw went back to."""

    claim_id: str
    cancel_id: str
    setl_id: str
    psn_no: str
    fixmedins_code: str
    acct_pay: Fen
    acct_mulaid_pay: Fen
    psn_cash_pay: Fen
    balc: Fen
    returns: tuple[Draw, ...]
    refunded_at: datetime


def decide_claim_payment(
    cmd: PayPersonalPart, accounts: Mapping[str, PersonalAccount], bindings: Iterable[Binding],
    existing: ClaimPayment | None, policy: WalletPolicy,
) -> Decision[ClaimPayment]:
    """Lock: the patient and the holder of every active medical binding of the patient.
    Read after locking: the patient's active bindings and the payment already recorded for `setl_id`."""
    check_claim_ids(cmd.claim_id, cmd.setl_id, cmd.psn_no, cmd.fixmedins_code, cmd.at)
    if existing is not None:
        if existing.same_request(cmd):
            return Decision(existing)
        raise SettlementIdReused(f"Settlement {cmd.setl_id} was already paid for a different claim or amount.")
    if type(cmd.psn_part_amt) is not int or cmd.psn_part_amt < 0:
        raise InvalidAmount(f"The personal part must be zero or more fen, not {cmd.psn_part_amt!r}.")
    payers = medical_payers(cmd.psn_no, bindings)
    check_locked(accounts, [cmd.psn_no, *(b.holder for b in payers)])
    draft = Draft(accounts, cmd.at)
    remaining = cmd.psn_part_amt
    own: tuple[Draw, ...] = ()
    if cmd.acct_used_flag and remaining:
        own = draft.roll_forward(cmd.psn_no).draws(remaining, policy.own_buckets)
        remaining -= sum(d.amount for d in own)
    family: list[Draw] = []
    if cmd.acct_used_flag or not policy.family_money_needs_account_flag:
        for binding in payers:
            if not remaining:
                break
            taken = draft.roll_forward(binding.holder).draws(remaining, policy.family_buckets)
            family.extend(taken)
            remaining -= sum(d.amount for d in taken)
    draws = (*own, *family)
    if draws:
        paid = cmd.psn_part_amt - remaining
        draft.post(Posting(
            key=f"claim:{cmd.setl_id}", kind=PostingKind.CLAIM_PAYMENT, occurred_at=cmd.at,
            entries=merged([*((personal(d.psn_no, d.bucket), -d.amount) for d in draws),
                            (claims_payable(cmd.fixmedins_code), paid)]),
        ))
    payment = ClaimPayment(
        cmd.claim_id, cmd.setl_id, cmd.psn_no, cmd.fixmedins_code, cmd.psn_part_amt, cmd.acct_used_flag,
        acct_pay=sum(d.amount for d in own), acct_mulaid_pay=sum(d.amount for d in family),
        psn_cash_pay=remaining, balc=draft.account(cmd.psn_no).total, draws=draws, paid_at=cmd.at,
    )
    return draft.decision(payment, record=payment)


def decide_claim_refund(
    cmd: RefundPersonalPart, payment: ClaimPayment | None, existing: ClaimRefund | None,
    accounts: Mapping[str, PersonalAccount],
) -> Decision[ClaimRefund]:
    """Lock: the patient and every person the payment drew from (`rows_for_claim_refund`).
    Read after locking: the payment and the refund already recorded for `setl_id`."""
    check_claim_ids(cmd.claim_id, cmd.setl_id, cmd.psn_no, cmd.fixmedins_code, cmd.at)
    check_reference(cmd.cancel_id, "cancel id")
    if payment is None:
        raise UnknownClaim(f"Settlement {cmd.setl_id} was never paid by the wallet, so there is nothing to refund.")
    if (payment.claim_id, payment.psn_no, payment.fixmedins_code) != (cmd.claim_id, cmd.psn_no, cmd.fixmedins_code):
        raise ClaimMismatch(f"Settlement {cmd.setl_id} belongs to another claim, patient or institution.")
    if existing is not None:
        return Decision(existing)
    check_locked(accounts, [cmd.psn_no, *(d.psn_no for d in payment.draws)])
    draft = Draft(accounts, cmd.at)
    returns = []
    for draw in payment.draws:
        account = draft.roll_forward(draw.psn_no)
        rolled_over = draw.bucket is Bucket.CURRENT_YEAR and draw.year < account.year
        returns.append(Draw(draw.psn_no, Bucket.PRIOR_YEARS if rolled_over else draw.bucket, draw.amount, account.year))
    if returns:
        draft.post(Posting(
            key=f"claim-refund:{cmd.setl_id}", kind=PostingKind.CLAIM_REFUND, occurred_at=cmd.at,
            entries=merged([*((personal(d.psn_no, d.bucket), d.amount) for d in returns),
                            (claims_payable(cmd.fixmedins_code), -(payment.acct_pay + payment.acct_mulaid_pay))]),
        ))
    refund = ClaimRefund(
        cmd.claim_id, cmd.cancel_id, cmd.setl_id, cmd.psn_no, cmd.fixmedins_code,
        payment.acct_pay, payment.acct_mulaid_pay, payment.psn_cash_pay,
        balc=draft.account(cmd.psn_no).total, returns=tuple(returns), refunded_at=cmd.at,
    )
    return draft.decision(refund, record=refund)


def check_claim_ids(claim_id: str, setl_id: str, psn_no: str, fixmedins_code: str, at: datetime) -> None:
    check_reference(claim_id, "claim id")
    check_reference(setl_id, "settlement id (setl_id)")
    check_identifier(psn_no, "人员编号")
    check_identifier(fixmedins_code, "institution code (fixmedins_code)")
    check_aware(at)
