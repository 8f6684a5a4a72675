"""Wallet transfers (医保钱包): a holder moves account money into a bound relative's wallet.

Nationwide, across provinces, immediate and free; at most `policy.transfers_per_day` accepted
transfers per holder per China calendar day, each at most `policy.transfer_max_amount`, none in the
night window (22:00 to 06:00 China time). The money comes from the holder's shareable balances
(`policy.family_buckets`) and lands in the relative's wallet balance. Idempotent by transfer id; a
refused request leaves no trace, so sending it again is judged again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from libs.money import Fen, format_yuan
from services.wallet.domain.accounts import Bucket, check_identifier, check_reference, personal
from services.wallet.domain.clock import check_aware, china_day
from services.wallet.domain.decision import Decision, Draft, check_locked
from services.wallet.domain.errors import (
    DailyTransferCountExceeded,
    InsufficientBalance,
    InvalidAmount,
    NotBoundRelative,
    SelfTransfer,
    TransferIdReused,
    TransferLimitExceeded,
    TransferNightWindow,
)
from services.wallet.domain.family import Binding
from services.wallet.domain.personal_account import Draw, PersonalAccount
from services.wallet.domain.policy import WalletPolicy
from services.wallet.domain.postings import Posting, PostingKind, merged


@dataclass(frozen=True)
class TransferToRelative:
    transfer_id: str
    holder: str
    recipient: str
    amount: Fen
    at: datetime


@dataclass(frozen=True)
class Transfer:
    transfer_id: str
    holder: str
    recipient: str
    amount: Fen
    china_day: date
    draws: tuple[Draw, ...]
    holder_balc: Fen
    transferred_at: datetime

    def same_request(self, cmd: TransferToRelative) -> bool:
        return (self.holder, self.recipient, self.amount) == (cmd.holder, cmd.recipient, cmd.amount)


def decide_transfer(
    cmd: TransferToRelative, accounts: Mapping[str, PersonalAccount], binding: Binding | None,
    transfers_that_day: int, existing: Transfer | None, policy: WalletPolicy,
) -> Decision[Transfer]:
    """Lock: holder and recipient. Read after locking: the latest binding holder → recipient, how many
    transfers the holder made on the China day of `cmd.at`, the transfer recorded under `transfer_id`.

    The request alone is judged first (amount, limit, self, night), then the state (binding, count,
    balance), so a holder hears about the cheapest fix first."""
    check_reference(cmd.transfer_id, "transfer id")
    check_identifier(cmd.holder, "holder's 人员编号")
    check_identifier(cmd.recipient, "relative's 人员编号")
    check_aware(cmd.at)
    if existing is not None:
        if existing.same_request(cmd):
            return Decision(existing)
        raise TransferIdReused(f"Transfer {cmd.transfer_id} was already used for a different transfer.")
    check_transfer_amount(cmd.amount, policy)
    if cmd.holder == cmd.recipient:
        raise SelfTransfer("A transfer must go to a relative's wallet, not to your own.")
    check_daytime(cmd.at, policy)
    if binding is None or not binding.active or (binding.holder, binding.member) != (cmd.holder, cmd.recipient):
        raise NotBoundRelative(f"{cmd.recipient} is not a relative bound to your account; bind them first.")
    if transfers_that_day >= policy.transfers_per_day:
        raise DailyTransferCountExceeded(
            f"You have made {policy.transfers_per_day} transfers today (China time); try again tomorrow.")
    check_locked(accounts, [cmd.holder, cmd.recipient])
    draft = Draft(accounts, cmd.at)
    holder = draft.roll_forward(cmd.holder)
    check_can_afford(holder, cmd.amount, policy.family_buckets)
    draws = holder.draws(cmd.amount, policy.family_buckets)
    draft.roll_forward(cmd.recipient)
    draft.post(Posting(
        key=f"transfer:{cmd.transfer_id}", kind=PostingKind.WALLET_TRANSFER, occurred_at=cmd.at,
        entries=merged([*((personal(d.psn_no, d.bucket), -d.amount) for d in draws),
                        (personal(cmd.recipient, Bucket.WALLET), cmd.amount)]),
    ))
    transfer = Transfer(
        cmd.transfer_id, cmd.holder, cmd.recipient, cmd.amount, china_day(cmd.at), draws,
        holder_balc=draft.account(cmd.holder).total, transferred_at=cmd.at,
    )
    return draft.decision(transfer, record=transfer)


def check_transfer_amount(amount: Fen, policy: WalletPolicy) -> None:
    if type(amount) is not int or amount <= 0:
        raise InvalidAmount(f"A transfer must be a positive amount in fen, not {amount!r}.")
    if amount > policy.transfer_max_amount:
        raise TransferLimitExceeded(
            f"One transfer can be at most {format_yuan(policy.transfer_max_amount)} yuan; "
            f"{format_yuan(amount)} yuan is too much.")


def check_daytime(at: datetime, policy: WalletPolicy) -> None:
    if policy.in_night_window(at):
        raise TransferNightWindow(
            f"Transfers are closed from {policy.night_starts:%H:%M} to {policy.night_ends:%H:%M} China time.")


def check_can_afford(holder: PersonalAccount, amount: Fen, buckets: tuple[Bucket, ...]) -> None:
    available = holder.available(buckets)
    if available < amount:
        raise InsufficientBalance(
            f"The account has {format_yuan(available)} yuan available to share, less than {format_yuan(amount)} yuan.")
