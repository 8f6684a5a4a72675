"""Wallet commands and facts: personal-account credits, mutual-aid bindings, wallet transfers,
premiums paid for relatives, and the wallet's answers (docs/wallet.md, "Transport and API").

Commands go to `wallet.commands` keyed by the account holder's `psn_no`; the answers go to
`wallet.events` with the command's id as correlation id. Business rules (amount limits, uses chosen)
are checked by the wallet and answered with `WalletCommandRefused`, not by these schemas, so every
well-formed request gets an answer with a reason.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from libs.contracts import topics
from libs.contracts.bounds import PRINTABLE, Fen, Id, Reason
from libs.contracts.envelope import Payload

Relation = Literal["spouse", "parent", "child", "near_relative"]
MutualAidUse = Literal["medical", "premium"]

Uses = Annotated[list[MutualAidUse], Field(max_length=2)]
ReasonCode = Annotated[str, StringConstraints(min_length=1, max_length=60, pattern=PRINTABLE)]
CommandType = Annotated[str, StringConstraints(min_length=1, max_length=80, pattern=PRINTABLE)]
Key = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=PRINTABLE)]


class CreditPersonalAccount(Payload):
    """Credit (划入) a personal account from contributions or the retirees' fixed credit."""

    event_type = "CreditPersonalAccount"

    credit_id: Id = Field(min_length=1, max_length=64, description="Idempotency key of this credit.")
    psn_no: Id = Field(description="人员编号 of the account holder.")
    amount: Fen = Field(gt=0, description="Amount in fen.")
    kind: Literal["contribution", "retiree_fixed"] = Field(description="Source of the credit.")
    year: int = Field(ge=2000, le=2100, description="Settlement year credited.")


class BindRelative(Payload):
    """The holder lets a near relative use their personal account (家庭共济绑定)."""

    event_type = "BindRelative"

    command_id: Id = Field(min_length=1, max_length=64,
                           description="The requester's id for this command; answers carry it as correlation id.")
    psn_no: Id = Field(min_length=1, max_length=40, description="人员编号 of the account holder, an insured employee (the message key).")
    relative_psn_no: Id = Field(min_length=1, max_length=40, description="人员编号 of the insured relative who may use the account.")
    relation: Relation = Field(description="The relative is the holder's spouse, parent, child, or near_relative (其他近亲属).")
    uses: Uses = Field(description="What the money may pay: `medical` (共济支付, self-pay medical costs) and/or `premium` (共济缴费, "
                                   "resident premiums); at least one.")


class ChangeMutualAidUses(Payload):
    """The holder changes what a bound relative may use the account for."""

    event_type = "ChangeMutualAidUses"

    command_id: Id = Field(min_length=1, max_length=64, description="The requester's id for this command.")
    psn_no: Id = Field(min_length=1, max_length=40, description="人员编号 of the account holder (the message key).")
    relative_psn_no: Id = Field(min_length=1, max_length=40, description="人员编号 of the bound relative.")
    uses: Uses = Field(description="The new uses, replacing the old: `medical` and/or `premium`; at least one.")


class RevokeBinding(Payload):
    """The holder ends a relative's use of the account; the binding is kept as history."""

    event_type = "RevokeBinding"

    command_id: Id = Field(min_length=1, max_length=64, description="The requester's id for this command.")
    psn_no: Id = Field(min_length=1, max_length=40, description="人员编号 of the account holder (the message key).")
    relative_psn_no: Id = Field(min_length=1, max_length=40, description="人员编号 of the bound relative.")


class TransferToRelative(Payload):
    """Move account money into a bound relative's wallet (医保钱包), across provinces, immediately, free."""

    event_type = "TransferToRelative"

    transfer_id: Id = Field(min_length=1, max_length=64, description="Idempotency key: the same id with the same body is answered once; "
                                                                     "with another body it is refused.")
    psn_no: Id = Field(min_length=1, max_length=40, description="人员编号 of the account holder who pays (the message key).")
    relative_psn_no: Id = Field(min_length=1, max_length=40, description="人员编号 of the bound relative whose wallet receives the money.")
    amount: Fen = Field(description="Amount in fen: positive, at most 200,000 (2,000 yuan); at most 3 transfers a day, "
                                    "none 22:00-06:00 China time.")


class PayRelativePremium(Payload):
    """Pay a bound relative's resident premium from the holder's account (共济缴费)."""

    event_type = "PayRelativePremium"

    payment_id: Id = Field(min_length=1, max_length=64, description="Idempotency key of the payment.")
    psn_no: Id = Field(min_length=1, max_length=40, description="人员编号 of the account holder who pays (the message key).")
    relative_psn_no: Id = Field(min_length=1, max_length=40,
                                description="人员编号 of the relative whose premium is paid; the binding must grant the `premium` use.")
    coverage_year: int = Field(ge=2000, le=2100, description="The coverage year the premium is for.")
    amount: Fen = Field(description="Amount in fen, paid whole or not at all.")


class AccountCredited(Payload):
    """A personal account was credited."""

    event_type = "AccountCredited"

    credit_id: Id = Field(description="The credit.")
    psn_no: Id = Field(description="人员编号.")
    amount: Fen = Field(description="Amount in fen.")
    balc: Fen = Field(description="Balance after the credit, in fen.")


class BindingChanged(Payload):
    """A mutual-aid binding as it now stands (bound, uses changed, or revoked): consumers replace what they hold."""

    event_type = "BindingChanged"

    command_id: Id = Field(description="The command this answers.")
    psn_no: Id = Field(description="人员编号 of the account holder (the message key).")
    relative_psn_no: Id = Field(description="人员编号 of the relative.")
    relation: Relation = Field(description="spouse, parent, child or near_relative.")
    uses: Uses = Field(description="The uses granted, sorted.")
    bound_at: datetime = Field(description="When this binding began; binding again after a revocation starts a new one.")
    revoked_at: datetime | None = Field(default=None, description="When it was revoked; absent while active.")
    active: bool = Field(description="Whether the relative may use the account now.")


class TransferCompleted(Payload):
    """Money moved from the holder's account into a relative's wallet."""

    event_type = "TransferCompleted"

    transfer_id: Id = Field(description="The transfer.")
    psn_no: Id = Field(description="人员编号 of the holder who paid (the message key).")
    relative_psn_no: Id = Field(description="人员编号 of the relative who received it.")
    amount: Fen = Field(description="Amount in fen; the relative received exactly this (transfers are free).")
    balc: Fen = Field(description="The holder's total balance after the transfer, in fen.")
    transferred_at: datetime = Field(description="When the money moved.")


class RelativePremiumPaid(Payload):
    """A holder's personal account paid a bound relative's resident premium (共济缴费)."""

    event_type = "RelativePremiumPaid"

    payment_id: Id = Field(description="Idempotency key of the payment; enrollment records it once.")
    payer_psn_no: Id = Field(description="人员编号 of the account holder who paid.")
    psn_no: Id = Field(description="人员编号 of the relative whose premium was paid (the message key).")
    coverage_year: int = Field(ge=2000, le=2100, description="The coverage year the premium is for.")
    amount: Fen = Field(gt=0, description="Amount paid in fen.")
    paid_at: datetime = Field(description="When the account was debited.")


class WalletCommandRefused(Payload):
    """A wallet command was refused; nothing moved."""

    event_type = "WalletCommandRefused"

    command_id: Id = Field(description="The refused command's id (its command_id, transfer_id, payment_id or credit_id).")
    command_type: CommandType = Field(description="The refused command's event type, e.g. `TransferToRelative`.")
    psn_no: Id = Field(description="人员编号 of the holder who asked (the message key).")
    reason_code: ReasonCode = Field(description="Stable machine code, e.g. `TRANSFER_LIMIT_EXCEEDED`, "
                                                "`NOT_BOUND_RELATIVE` (docs/wallet.md).")
    reason: Reason = Field(description="A sentence the holder or the clerk can act on.")


class PersonalPartRefused(Payload):
    """The wallet could not pay or refund a claim's personal part; nothing moved."""

    event_type = "PersonalPartRefused"

    claim_id: Id = Field(description="The claim.")
    setl_id: Id = Field(description="结算ID.")
    cancel_id: Id | None = Field(default=None, description="The cancel request, when a refund was refused.")
    psn_no: Id = Field(description="人员编号 of the patient (the message key).")
    reason_code: ReasonCode = Field(description="Stable machine code: `SETTLEMENT_ID_REUSED`, `UNKNOWN_CLAIM`, `CLAIM_MISMATCH`, "
                                                "`INVALID_REQUEST`.")
    reason: Reason = Field(description="A sentence a hospital clerk or operator can act on.")


# -- The wallet's HTTP API (docs/wallet.md, "Transport and API"): bodies that do not travel on Kafka.
# Requests are the commands above, posted as JSON; successful answers are the events above.

class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Balances(_Body):
    """A person's three balances and their total, in fen."""

    prior_years: Fen = Field(description="历年结余: money from earlier years, in fen.")
    current_year: Fen = Field(description="当年划入: this year's credits, in fen.")
    wallet: Fen = Field(description="Money received from relatives by wallet transfer, in fen.")
    total: Fen = Field(description="All three together, in fen.")


class AccountBalances(Balances):
    """GET /v1/accounts/{psn_no}: a person's balances."""

    psn_no: Id = Field(description="人员编号.")
    year: int = Field(ge=0, le=2100, description="The China year the current-year balance belongs to (0: never used).")


class PersonalPartQuote(_Body):
    """GET /v1/accounts/{psn_no}/personal-part-quote: how the wallet would pay a personal part now, by the
    same rule as a settlement's payment (own account, then relatives' bound money, then cash); nothing moves.
    What a pre-settlement (2206/2303) shows; the settlement itself may differ if money moves in between."""

    psn_no: Id = Field(description="人员编号 of the patient.")
    psn_part_amt: Fen = Field(ge=0, description="个人负担总金额 to pay, in fen.")
    acct_used_flag: bool = Field(description="Whether the patient chose to use the personal account.")
    acct_pay: Fen = Field(ge=0, description="个人账户支出: from the patient's own account.")
    acct_mulaid_pay: Fen = Field(ge=0, description="个人账户共济支付金额: from bound relatives' accounts.")
    psn_cash_pay: Fen = Field(ge=0, description="个人现金支出: the rest, in cash.")
    balc: Fen = Field(ge=0, description="余额: the patient's own account total after such a payment.")


class StatementLine(_Body):
    """One posting as it moved the account (or the person), with the balance after it."""

    key: Key = Field(description="The posting's idempotency key, e.g. `claim:<setl_id>`, `transfer:<transfer_id>`.")
    kind: ReasonCode = Field(description="credit, year_rollover, claim_payment, claim_refund, premium_payment or wallet_transfer.")
    occurred_at: datetime = Field(description="When the money moved.")
    amount: Fen = Field(description="Change in fen: positive in, negative out (a year rollover moves 0 between the person's balances).")
    balance: Fen = Field(description="Running balance after this line, in fen.")


class AccountStatement(_Body):
    """GET /v1/accounts/{psn_no}/statement: the history, oldest first, with a running balance."""

    psn_no: Id = Field(description="人员编号.")
    bucket: Literal["prior_years", "current_year", "wallet"] | None = Field(
        default=None, description="The one balance this statement follows; absent: all three together.")
    balances: Balances = Field(description="The person's balances after the last posting (computed from the postings).")
    lines: list[StatementLine] = Field(max_length=100_000, description="Postings in ledger order; with `limit`, only the last ones.")


class Refusal(_Body):
    """A 4xx answer of the HTTP API: nothing moved."""

    reason_code: ReasonCode = Field(description="Stable machine code (docs/wallet.md, Reason codes).")
    reason: Reason = Field(description="A sentence the holder or the clerk can act on.")


CARRIES = {
    topics.WALLET_COMMANDS.name: (
        CreditPersonalAccount, BindRelative, ChangeMutualAidUses, RevokeBinding, TransferToRelative, PayRelativePremium,
    ),
    topics.WALLET_EVENTS.name: (
        AccountCredited, BindingChanged, TransferCompleted, RelativePremiumPaid, WalletCommandRefused,
    ),
    topics.WALLET_PAYMENTS.name: (PersonalPartRefused,),
}
