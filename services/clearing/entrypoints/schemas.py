"""The HTTP API's bodies. Amounts are integer fen; field names are the national interface's where it has one.

A cycle's net positions use the same model as the `ClearingCycleClosed` event (libs/contracts), and
closing answers with that event's payload, so a region reads one shape wherever it looks.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from libs.contracts.clearing import RegionNetPosition
from services.clearing.domain import (
    ClearingCycle,
    Counterparty,
    DetailLine,
    InstitutionStatement,
    Mismatch,
    NetPosition,
)
from services.clearing.domain.ports import NetPositionTotals, StoredReconciliation
from services.clearing.service_layer.events import net_position
from services.clearing.service_layer.queries import InstitutionDetail, RegionStatement


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True)


class Refusal(_Body):
    reason_code: str = Field(description="Stable code, e.g. `CYCLE_NOT_CLOSED` (docs/clearing.md lists them).")
    reason: str = Field(description="A sentence an agency clerk can act on.")


class CycleView(_Body):
    cycle_id: str
    scope_key: str = Field(description="`national`, or `provincial-NN` for province NN's platform.")
    period_start: date
    period_end: date = Field(description="The day after the period's last day.")
    status: Literal["open", "closed"]
    opened_at: datetime
    closed_at: datetime | None
    close_reason: Literal["command", "schedule"] | None

    @classmethod
    def of(cls, c: ClearingCycle) -> CycleView:
        return cls(cycle_id=c.cycle_id, scope_key=c.scope_key, period_start=c.period_start, period_end=c.period_end,
                   status=c.status, opened_at=c.opened_at, closed_at=c.closed_at, close_reason=c.close_reason)


NEXT = "The cursor of the next page (`after=`); null on the last page."


class CycleList(_Body):
    cycles: list[CycleView]
    next_after: str | None = Field(default=None, description=NEXT)


class PairTotal(_Body):
    insuplc_admdvs: str = Field(description="参保地: the region that owes when `amount` is positive.")
    mdtrtarea_admvs: str = Field(description="就医地: the region that is owed when `amount` is positive.")
    amount: int = Field(description="Signed sum of the pair's obligations (negative: late cancellations dominate).")


class CycleStatusView(_Body):
    cycle: CycleView
    bilateral: list[PairTotal] = Field(description="The netting's input: a signed total per (insured, treatment) pair.")
    fund_pay_sumamt: int = Field(description="Sum of the pair totals.")


class NetPositions(_Body):
    cycle_id: str
    positions: list[RegionNetPosition] = Field(description="A page of the regions' positions, by admdvs.")
    sum_of_nets: int = Field(description="Always 0: what one region receives, others pay.")
    prepayment_applied: int
    cash_to_pay: int
    cash_to_receive: int = Field(description="Equals cash_to_pay + prepayment_applied.")
    next_after: str | None = Field(default=None, description=NEXT + " The totals are the whole cycle's.")

    @classmethod
    def of(cls, cycle_id: str, positions: list[NetPosition], totals: NetPositionTotals,
           next_after: str | None) -> NetPositions:
        return cls(cycle_id=cycle_id, positions=[net_position(p) for p in positions],
                   sum_of_nets=totals.sum_of_nets, prepayment_applied=totals.prepayment_applied,
                   cash_to_pay=totals.cash_to_pay, cash_to_receive=totals.cash_to_receive, next_after=next_after)


class CounterpartyLine(_Body):
    admdvs: str = Field(description="The other region.")
    payable: int = Field(description="What this region owes it in the cycle.")
    receivable: int = Field(description="What it owes this region in the cycle.")


class RegionStatementView(_Body):
    cycle_id: str
    position: RegionNetPosition
    counterparties: list[CounterpartyLine] = Field(description="A page of the other regions, by admdvs.")
    next_after: str | None = Field(default=None, description=NEXT)

    @classmethod
    def of(cls, s: RegionStatement, counterparties: list[Counterparty], next_after: str | None) -> RegionStatementView:
        return cls(cycle_id=s.cycle_id, position=net_position(s.position), next_after=next_after, counterparties=[
            CounterpartyLine(admdvs=c.admdvs, payable=c.payable, receivable=c.receivable) for c in counterparties
        ])


class InsuredRegionAmount(_Body):
    insuplc_admdvs: str
    amount: int


class InstitutionStatementView(_Body):
    fixmedins_code: str
    mdtrtarea_admvs: str
    owed: int = Field(description="What the treatment region owes the institution (returned items included).")
    by_insured_region: list[InsuredRegionAmount]

    @classmethod
    def of(cls, s: InstitutionStatement) -> InstitutionStatementView:
        return cls(fixmedins_code=s.fixmedins_code, mdtrtarea_admvs=s.mdtrtarea_admvs, owed=s.owed,
                   by_insured_region=[InsuredRegionAmount(insuplc_admdvs=r, amount=a) for r, a in s.by_insured_region])


class InstitutionStatements(_Body):
    cycle_id: str
    statements: list[InstitutionStatementView]
    next_after: str | None = Field(default=None, description=NEXT)


class FundPayment(_Body):
    fund_pay_type: str = Field(description="基金支付类型.")
    fund_payamt: int = Field(description="基金支付金额 in fen, net within the cycle.")


class DetailItem(_Body):
    setl_id: str
    claim_id: str
    insuplc_admdvs: str
    mdtrtarea_admvs: str
    setldetail: list[FundPayment]
    amount: int
    status: Literal["pending", "confirmed", "rolled_back"]

    @classmethod
    def of(cls, line: DetailLine) -> DetailItem:
        return cls(setl_id=line.setl_id, claim_id=line.claim_id, insuplc_admdvs=line.insuplc_admdvs,
                   mdtrtarea_admvs=line.mdtrtarea_admvs, amount=line.amount, status=line.status,
                   setldetail=[FundPayment(fund_pay_type=f, fund_payamt=a) for f, a in line.funds])


class InstitutionDetailView(_Body):
    """3260: an institution's items in a closed cycle."""

    cycle_id: str
    fixmedins_code: str
    items: list[DetailItem]
    confirmed: int = Field(description="Payable to the institution: the confirmed items' amount.")
    pending: int
    rolled_back: int
    next_after: str | None = Field(default=None, description=NEXT + " The totals are the whole cycle's.")

    @classmethod
    def of(cls, d: InstitutionDetail, items: list[DetailLine], next_after: str | None) -> InstitutionDetailView:
        return cls(cycle_id=d.cycle_id, fixmedins_code=d.fixmedins_code, items=[DetailItem.of(i) for i in items],
                   confirmed=d.payable.confirmed, pending=d.payable.pending, rolled_back=d.payable.rolled_back,
                   next_after=next_after)


class ItemsRequest(_Body):
    setl_ids: list[str] | None = Field(
        default=None, description="结算ID of the items; null: every item the command applies to.")


class ItemsDecided(_Body):
    cycle_id: str
    fixmedins_code: str
    decision: Literal["confirmed", "rolled_back"]
    setl_ids: list[str] = Field(description="The items this command changed (empty when it was a repetition).")
    amount: int
    returned_to_cycle_id: str | None = Field(
        default=None, description="For a roll-back: the open cycle the items returned to.")


class PrepaymentRequest(_Body):
    entry_id: str = Field(min_length=1, max_length=64,
                          description="Your id for this command: sending it again records nothing new.")
    scope_key: str = Field(description="The clearing platform: `national` or `provincial-NN`.")
    admdvs: str = Field(description="医保区划 of the region whose prepayment it is.")
    kind: Literal["advance", "refund"]
    amount: int = Field(description="Positive whole fen.")


class PrepaymentAnswer(_Body):
    entry_id: str
    recorded: bool = Field(description="False when this entry_id had been recorded already with the same content.")
    scope_key: str
    admdvs: str
    balance: int = Field(description="The region's prepayment balance with the platform afterwards.")


class PrepaymentBalance(_Body):
    admdvs: str
    balance: int


class PrepaymentBalances(_Body):
    scope_key: str
    balances: list[PrepaymentBalance] = Field(description="A page of the regions' balances, by admdvs.")
    next_after: str | None = Field(default=None, description=NEXT)


class MismatchLine(_Body):
    kind: Literal["missing_in_clearing", "missing_in_settlement", "amount_differs"]
    setl_id: str
    fact_kind: Literal["settled", "cancelled"]
    fund_pay_type: str
    clearing_amount: int = Field(description="Signed fen on clearing's side (0 when absent).")
    settlement_amount: int = Field(description="Signed fen on the settlement engine's side (0 when absent).")

    @classmethod
    def of(cls, m: Mismatch) -> MismatchLine:
        return cls(kind=m.kind, setl_id=m.setl_id, fact_kind=m.fact_kind, fund_pay_type=m.fund_pay_type,
                   clearing_amount=m.clearing_amount, settlement_amount=m.settlement_amount)


class ReconciliationView(_Body):
    """3201 totals and 3202 detail of a cycle's last reconciliation."""

    cycle_id: str
    reconciled_at: datetime
    clearing_fund_pay_sumamt: int
    settlement_fund_pay_sumamt: int
    clearing_setl_cnt: int
    settlement_setl_cnt: int
    totals_match: bool
    balanced: bool
    mismatch_count: int = Field(description="Mismatches in the whole detail (the pages hold them all).")
    mismatches: list[MismatchLine] = Field(description="3202 detail: a page of the mismatches (`limit`, `after`), "
                                                       "by setl_id, fact_kind, fund_pay_type.")
    next_after: str | None = Field(default=None, description=NEXT)

    @classmethod
    def of(cls, run: StoredReconciliation, mismatches: list[Mismatch], next_after: str | None) -> ReconciliationView:
        r = run.report
        return cls(cycle_id=r.cycle_id, reconciled_at=run.reconciled_at, clearing_fund_pay_sumamt=r.clearing_fund_pay_sumamt,
                   settlement_fund_pay_sumamt=r.settlement_fund_pay_sumamt, clearing_setl_cnt=r.clearing_setl_cnt,
                   settlement_setl_cnt=r.settlement_setl_cnt, totals_match=r.totals_match, balanced=r.balanced,
                   mismatch_count=r.mismatch_count, mismatches=[MismatchLine.of(m) for m in mismatches],
                   next_after=next_after)
