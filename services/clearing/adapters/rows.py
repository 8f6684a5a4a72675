"""Domain rows to query parameters and back. Times come back on the China calendar's offset (UTC+8)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, overload

import asyncpg

from services.clearing.domain import (
    CHINA_TIME,
    ClearingCycle,
    Confirmation,
    Mismatch,
    Obligation,
    PrepaymentEntry,
    ReconciliationReport,
)
from services.clearing.domain.ports import StoredReconciliation

MISMATCH_COLUMNS = (
    "reconciliation_id", "kind", "setl_id", "fact_kind", "fund_pay_type", "clearing_amount", "settlement_amount",
)


@overload
def _china(moment: datetime) -> datetime: ...
@overload
def _china(moment: None) -> None: ...
def _china(moment: datetime | None) -> datetime | None:
    return moment.astimezone(CHINA_TIME) if moment is not None else None


def cycle_values(c: ClearingCycle) -> tuple[Any, ...]:
    return (c.cycle_id, c.scope_key, c.period_start, c.period_end, c.opened_at, c.status, c.closed_at, c.close_reason)


def cycle(r: asyncpg.Record) -> ClearingCycle:
    return ClearingCycle(
        r["cycle_id"], r["scope_key"], r["period_start"], r["period_end"], _china(r["opened_at"]),
        r["status"], _china(r["closed_at"]), r["close_reason"],
    )


def obligation_values(o: Obligation) -> tuple[Any, ...]:
    return (
        o.obligation_id, o.cycle_id, o.kind, o.setl_id, o.claim_id, o.fixmedins_code, o.insuplc_admdvs,
        o.mdtrtarea_admvs, o.fund_pay_type, o.amount, o.occurred_at, o.arrived_at, o.origin_cycle_id,
    )


def obligation(r: asyncpg.Record) -> Obligation:
    return Obligation(**{
        **dict(r), "occurred_at": _china(r["occurred_at"]), "arrived_at": _china(r["arrived_at"]),
    })


def confirmation_values(c: Confirmation) -> tuple[Any, ...]:
    return (c.cycle_id, c.setl_id, c.fixmedins_code, c.decision, c.amount, c.decided_at, c.returned_to_cycle_id)


def confirmation(r: asyncpg.Record) -> Confirmation:
    return Confirmation(**{**dict(r), "decided_at": _china(r["decided_at"])})


def prepayment_values(e: PrepaymentEntry) -> tuple[Any, ...]:
    return (e.entry_id, e.scope_key, e.admdvs, e.kind, e.amount, e.at, e.cycle_id)


def prepayment(r: asyncpg.Record) -> PrepaymentEntry:
    return PrepaymentEntry(**{**dict(r), "at": _china(r["at"])})


def mismatch_values(m: Mismatch) -> tuple[Any, ...]:
    return (m.kind, m.setl_id, m.fact_kind, m.fund_pay_type, m.clearing_amount, m.settlement_amount)


def mismatch(m: asyncpg.Record) -> Mismatch:
    return Mismatch(m["kind"], m["setl_id"], m["fact_kind"], m["fund_pay_type"], m["clearing_amount"], m["settlement_amount"])


def reconciliation(run: asyncpg.Record) -> StoredReconciliation:
    report = ReconciliationReport(
        cycle_id=run["cycle_id"],
        clearing_fund_pay_sumamt=run["clearing_fund_pay_sumamt"],
        settlement_fund_pay_sumamt=run["settlement_fund_pay_sumamt"],
        clearing_setl_cnt=run["clearing_setl_cnt"],
        settlement_setl_cnt=run["settlement_setl_cnt"],
        missing_in_clearing=run["missing_in_clearing"],
        missing_in_settlement=run["missing_in_settlement"],
        amount_differs=run["amount_differs"],
    )
    return StoredReconciliation(run["reconciliation_id"], report, _china(run["reconciled_at"]))
