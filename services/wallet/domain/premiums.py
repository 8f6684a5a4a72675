"""Paying a relative's resident premium from the holder's account (共济缴费).

The holder must have bound the relative with the premium use. The premium is paid whole or not at
all, from the holder's shareable balances, into `resident-premiums:<region>` of the relative's insured
region; the resulting `PremiumPayment` is what the enrollment service records as the relative's
contribution for `coverage_year`. Idempotent by payment id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from libs.money import Fen
from services.wallet.domain.accounts import check_identifier, check_reference, check_region, personal, resident_premiums
from services.wallet.domain.clock import check_aware
from services.wallet.domain.decision import Decision, Draft, check_locked
from services.wallet.domain.errors import InvalidAmount, NotBoundRelative, PremiumPaymentIdReused, UseNotGranted
from services.wallet.domain.family import Binding, Use
from services.wallet.domain.personal_account import Draw, PersonalAccount
from services.wallet.domain.policy import WalletPolicy
from services.wallet.domain.postings import Posting, PostingKind, merged
from services.wallet.domain.transfers import check_can_afford


@dataclass(frozen=True)
class PayResidentPremium:
    payment_id: str
    holder: str
    member: str
    amount: Fen
    coverage_year: int
    region: str
    at: datetime


@dataclass(frozen=True)
class PremiumPayment:
    """The relative's premium for `coverage_year`, paid by `holder` (a contribution for enrollment)."""

    payment_id: str
    holder: str
    member: str
    amount: Fen
    coverage_year: int
    region: str
    draws: tuple[Draw, ...]
    holder_balc: Fen
    paid_at: datetime

    def same_request(self, cmd: PayResidentPremium) -> bool:
        return (self.holder, self.member, self.amount, self.coverage_year, self.region) == (
            cmd.holder, cmd.member, cmd.amount, cmd.coverage_year, cmd.region)


def decide_premium_payment(
    cmd: PayResidentPremium, accounts: Mapping[str, PersonalAccount], binding: Binding | None,
    existing: PremiumPayment | None, policy: WalletPolicy,
) -> Decision[PremiumPayment]:
    """Lock: the holder. Read after locking: the latest binding holder → member, the payment recorded
    under `payment_id`."""
    check_reference(cmd.payment_id, "premium payment id")
    check_identifier(cmd.holder, "holder's 人员编号")
    check_identifier(cmd.member, "relative's 人员编号")
    check_region(cmd.region)
    check_aware(cmd.at)
    if existing is not None:
        if existing.same_request(cmd):
            return Decision(existing)
        raise PremiumPaymentIdReused(f"Premium payment {cmd.payment_id} was already used for a different payment.")
    if type(cmd.amount) is not int or cmd.amount <= 0:
        raise InvalidAmount(f"A premium must be a positive amount in fen, not {cmd.amount!r}.")
    if binding is None or not binding.active or (binding.holder, binding.member) != (cmd.holder, cmd.member):
        raise NotBoundRelative(f"{cmd.member} is not a relative bound to {cmd.holder}'s account.")
    if not binding.grants(Use.PREMIUM):
        raise UseNotGranted(f"{cmd.holder} has not allowed the account to pay {cmd.member}'s premiums (共济缴费).")
    check_locked(accounts, [cmd.holder])
    draft = Draft(accounts, cmd.at)
    holder = draft.roll_forward(cmd.holder)
    check_can_afford(holder, cmd.amount, policy.family_buckets)
    draws = holder.draws(cmd.amount, policy.family_buckets)
    draft.post(Posting(
        key=f"premium:{cmd.payment_id}", kind=PostingKind.PREMIUM_PAYMENT, occurred_at=cmd.at,
        entries=merged([*((personal(d.psn_no, d.bucket), -d.amount) for d in draws),
                        (resident_premiums(cmd.region), cmd.amount)]),
    ))
    payment = PremiumPayment(
        cmd.payment_id, cmd.holder, cmd.member, cmd.amount, cmd.coverage_year, cmd.region, draws,
        holder_balc=draft.account(cmd.holder).total, paid_at=cmd.at,
    )
    return draft.decision(payment, record=payment)
