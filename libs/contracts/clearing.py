"""Clearing's facts for operators: cycles closed, items confirmed or rolled back, prepayments, reconciliations.

Cross-region clearing (异地就医清算) collects what pooling regions owe each other for claims treated
outside the insured region, in cycles per clearing scope (`national`, or `provincial-NN` for one
province's platform). Every amount is integer fen. Messages are keyed by `cycle_id`, except
`PrepaymentRecorded`, keyed by its clearing scope.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from libs.contracts import topics
from libs.contracts.bounds import MAX_ITEMS, Count, Fen, Id, Region
from libs.contracts.envelope import Payload

ScopeKey = Annotated[str, StringConstraints(max_length=40, pattern=r"^(national|provincial-[0-9]{2})$")]


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RegionNetPosition(_Part):
    """One pooling region's result of a closed cycle: it pays or receives one net amount."""

    admdvs: Region = Field(description="医保区划: the pooling region.")
    gross_payable: Fen = Field(ge=0, description="What the region owes in the cycle (its insured treated elsewhere, plus late cancellations it must pay back).")
    gross_receivable: Fen = Field(ge=0, description="What the region is owed in the cycle.")
    net: Fen = Field(description="gross_receivable − gross_payable: positive, the region receives; negative, it pays. The nets of a cycle sum to zero.")
    prepayment_applied: Fen = Field(ge=0, description="预付金 used to cover the net payable.")
    cash_to_pay: Fen = Field(ge=0, description="What the region transfers to the platform: net payable less prepayment applied.")
    cash_to_receive: Fen = Field(ge=0, description="What the platform transfers to the region.")


class ClearingCycleClosed(Payload):
    """A clearing cycle closed: its multilateral netting, with prepayments applied; the next cycle is open."""

    event_type = "ClearingCycleClosed"

    cycle_id: Id = Field(description="The closed cycle: `<scope>/<period start>`, e.g. `national/2026-01-01`.")
    scope_key: ScopeKey = Field(description="The clearing platform: `national`, or `provincial-NN` for province NN.")
    period_start: date = Field(description="First day of the cycle's period (China calendar).")
    period_end: date = Field(description="Day after the period's last day.")
    closed_at: datetime = Field(description="When the cycle closed.")
    close_reason: Literal["command", "schedule"] = Field(description="Closed by an operator's command or by the schedule after the period ended.")
    next_cycle_id: Id = Field(description="The cycle that opened in the same step; later facts of the scope land there.")
    fund_pay_sumamt: Fen = Field(ge=0, description="Gross amount cleared: the sum of every region's gross payable.")
    net_positions: list[RegionNetPosition] = Field(max_length=MAX_ITEMS, description="One line per region of the cycle, sorted by admdvs.")


class ClearingItemsConfirmed(Payload):
    """3261: a treatment institution confirmed items of a closed cycle; they are now payable to it."""

    event_type = "ClearingItemsConfirmed"

    cycle_id: Id = Field(description="The closed cycle.")
    fixmedins_code: Id = Field(description="定点医药机构编号: the treatment institution.")
    setl_ids: list[Id] = Field(max_length=MAX_ITEMS, description="结算ID of each item confirmed by this command.")
    amount: Fen = Field(description="Sum of the confirmed items' fund amounts.")
    decided_at: datetime = Field(description="When the institution confirmed.")


class ClearingItemsRolledBack(Payload):
    """3262: a treatment institution rolled items back out of a closed cycle; they return to the open one."""

    event_type = "ClearingItemsRolledBack"

    cycle_id: Id = Field(description="The closed cycle the items left (it is not edited).")
    fixmedins_code: Id = Field(description="定点医药机构编号: the treatment institution.")
    setl_ids: list[Id] = Field(max_length=MAX_ITEMS, description="结算ID of each item rolled back by this command.")
    amount: Fen = Field(description="Sum of the rolled-back items' fund amounts.")
    returned_to_cycle_id: Id = Field(description="The open cycle the items return to, as `returned` rows (no money between regions).")
    decided_at: datetime = Field(description="When the institution rolled back.")


class PrepaymentRecorded(Payload):
    """A region advanced prepayment (预付金) to a clearing platform, or had part of it refunded."""

    event_type = "PrepaymentRecorded"

    entry_id: Id = Field(description="The command's id; sending the command again records nothing new.")
    scope_key: ScopeKey = Field(description="The clearing platform holding the prepayment (the message key).")
    admdvs: Region = Field(description="医保区划: the region whose prepayment it is.")
    kind: Literal["advanced", "refunded"] = Field(description="Money advanced to the platform, or refunded to the region.")
    amount: Fen = Field(gt=0, description="The amount advanced or refunded.")
    balance: Fen = Field(ge=0, description="The region's prepayment balance with this platform afterwards.")
    at: datetime = Field(description="When it was recorded.")


class ReconciliationCompleted(Payload):
    """3201/3202: a closed cycle was checked against the settlement engine's records for its period."""

    event_type = "ReconciliationCompleted"

    cycle_id: Id = Field(description="The reconciled cycle.")
    reconciled_at: datetime = Field(description="When the check ran; the last run is the cycle's answer.")
    clearing_fund_pay_sumamt: Fen = Field(description="基金支付总额 on clearing's side (settlements positive, cancellations negative).")
    settlement_fund_pay_sumamt: Fen = Field(description="基金支付总额 on the settlement engine's side, same signs.")
    clearing_setl_cnt: Count = Field( description="结算笔数 (fixmedins_setl_cnt) on clearing's side: settled and cancelled facts.")
    settlement_setl_cnt: Count = Field( description="结算笔数 on the settlement engine's side.")
    totals_match: bool = Field(description="3201: both totals and both counts agree.")
    balanced: bool = Field(description="Totals match and no detail differs (3202 found nothing).")
    missing_in_clearing: Count = Field( description="3202 lines the settlement engine has and clearing lacks.")
    missing_in_settlement: Count = Field( description="3202 lines clearing has and the settlement engine lacks.")
    amount_differs: Count = Field( description="3202 lines both have with different amounts; every line is listed by the HTTP report.")


CARRIES: dict[str, tuple] = {
    topics.CLEARING_EVENTS.name: (
        ClearingCycleClosed, ClearingItemsConfirmed, ClearingItemsRolledBack, PrepaymentRecorded,
        ReconciliationCompleted,
    ),
}
