"""Clearing's facts on `clearing.events` (libs/contracts/clearing.py), built from what the domain decided."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from libs.contracts import clearing as contract
from libs.money import Fen
from services.clearing.domain import Confirmation, CycleClosing, NetPosition, PrepaymentEntry, ReconciliationReport


def net_position(p: NetPosition) -> contract.RegionNetPosition:
    return contract.RegionNetPosition(
        admdvs=p.admdvs, gross_payable=p.gross_payable, gross_receivable=p.gross_receivable, net=p.net,
        prepayment_applied=p.prepayment_applied, cash_to_pay=p.cash_to_pay, cash_to_receive=p.cash_to_receive,
    )


def cycle_closed(closing: CycleClosing) -> contract.ClearingCycleClosed:
    cycle = closing.closed
    assert cycle.closed_at is not None and cycle.close_reason is not None, "a closing carries its closed cycle"
    return contract.ClearingCycleClosed(
        cycle_id=cycle.cycle_id, scope_key=cycle.scope_key, period_start=cycle.period_start,
        period_end=cycle.period_end, closed_at=cycle.closed_at, close_reason=cycle.close_reason,
        next_cycle_id=closing.next_cycle.cycle_id,
        fund_pay_sumamt=sum(p.gross_payable for p in closing.net_positions),
        net_positions=[net_position(p) for p in closing.net_positions],
    )


def items_confirmed(
    cycle_id: str, fixmedins_code: str, decisions: Sequence[Confirmation], at: datetime,
) -> contract.ClearingItemsConfirmed:
    return contract.ClearingItemsConfirmed(
        cycle_id=cycle_id, fixmedins_code=fixmedins_code, setl_ids=[d.setl_id for d in decisions],
        amount=sum(d.amount for d in decisions), decided_at=at,
    )


def items_rolled_back(
    cycle_id: str, fixmedins_code: str, decisions: Sequence[Confirmation], returned_to: str, at: datetime,
) -> contract.ClearingItemsRolledBack:
    return contract.ClearingItemsRolledBack(
        cycle_id=cycle_id, fixmedins_code=fixmedins_code, setl_ids=[d.setl_id for d in decisions],
        amount=sum(d.amount for d in decisions), returned_to_cycle_id=returned_to, decided_at=at,
    )


def prepayment_recorded(entry: PrepaymentEntry, balance: Fen) -> contract.PrepaymentRecorded:
    return contract.PrepaymentRecorded(
        entry_id=entry.entry_id, scope_key=entry.scope_key, admdvs=entry.admdvs,
        kind=entry.kind,
        amount=entry.amount, balance=balance, at=entry.at,
    )


def reconciliation_completed(report: ReconciliationReport, at: datetime) -> contract.ReconciliationCompleted:
    return contract.ReconciliationCompleted(
        cycle_id=report.cycle_id, reconciled_at=at,
        clearing_fund_pay_sumamt=report.clearing_fund_pay_sumamt,
        settlement_fund_pay_sumamt=report.settlement_fund_pay_sumamt,
        clearing_setl_cnt=report.clearing_setl_cnt, settlement_setl_cnt=report.settlement_setl_cnt,
        totals_match=report.totals_match, balanced=report.balanced,
        missing_in_clearing=report.missing_in_clearing, missing_in_settlement=report.missing_in_settlement,
        amount_differs=report.amount_differs,
    )
