"""Wallet commands and facts: personal-account credits, mutual-aid bindings, wallet transfers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from libs.contracts import topics
from libs.contracts.envelope import Payload


class CreditPersonalAccount(Payload):
    """Credit (划入) a personal account from contributions or the retirees' fixed credit."""

    event_type = "CreditPersonalAccount"

    credit_id: str = Field(min_length=1, max_length=64, description="Idempotency key of this credit.")
    psn_no: str = Field(description="人员编号 of the account holder.")
    amount: int = Field(gt=0, description="Amount in fen.")
    kind: Literal["contribution", "retiree_fixed"] = Field(description="Source of the credit.")
    year: int = Field(ge=2000, le=2100, description="Settlement year credited.")


class AccountCredited(Payload):
    """A personal account was credited."""

    event_type = "AccountCredited"

    credit_id: str = Field(description="The credit.")
    psn_no: str = Field(description="人员编号.")
    amount: int = Field(description="Amount in fen.")
    balc: int = Field(description="Balance after the credit, in fen.")


class RelativePremiumPaid(Payload):
    """A holder's personal account paid a bound relative's resident premium (共济缴费)."""

    event_type = "RelativePremiumPaid"

    payment_id: str = Field(description="Idempotency key of the payment; enrollment records it once.")
    payer_psn_no: str = Field(description="人员编号 of the account holder who paid.")
    psn_no: str = Field(description="人员编号 of the relative whose premium was paid (the message key).")
    coverage_year: int = Field(ge=2000, le=2100, description="The coverage year the premium is for.")
    amount: int = Field(gt=0, description="Amount paid in fen.")
    paid_at: datetime = Field(description="When the account was debited.")


CARRIES = {
    topics.WALLET_COMMANDS.name: (CreditPersonalAccount,),
    topics.WALLET_EVENTS.name: (AccountCredited, RelativePremiumPaid),
}
