"""Cross-region clearing (异地就医清算): obligations between pooling regions, cycles, netting,
prepayments, institution confirmation, late changes and reconciliation. Pure: no I/O.

See docs/clearing.md for the rules and `ports.py` for what the service layer stores.
"""

from libs.china_time import CHINA_TIME
from services.clearing.domain.calendar import MONTHLY, CycleCalendar, Period, business_date
from services.clearing.domain.confirmation import (
    Confirmation,
    DetailLine,
    InstitutionPayable,
    confirm_items,
    institution_detail,
    institution_payable,
    roll_back_items,
)
from services.clearing.domain.cycle import ClearingCycle, CloseReason, CycleClosing
from services.clearing.domain.errors import (
    CancellationMismatch,
    ClearingError,
    ClearingFault,
    ClearingRefusal,
    ConflictingRedelivery,
    CycleNotClosed,
    CycleNotDue,
    CycleNotFound,
    CycleNotOpen,
    FundDetailMismatch,
    InvalidAmount,
    InvalidCalendar,
    InvalidFundAmount,
    InvalidRegionCode,
    ItemNotInDetail,
    ItemRolledBack,
    NaiveTime,
    PrepaymentIdReused,
    PrepaymentInsufficient,
    RegionNotInScope,
    ScopeMismatch,
)
from services.clearing.domain.facts import ClaimFact, claim_fact, fact_from_cancelled, fact_from_settled
from services.clearing.domain.netting import NetPosition, Pair, bilateral_totals, net_positions
from services.clearing.domain.obligations import Obligation
from services.clearing.domain.ports import ClearingRepository
from services.clearing.domain.prepayments import (
    PrepaymentEntry,
    advance_prepayment,
    apply_prepayments,
    prepayment_balances,
    refund_prepayment,
)
from services.clearing.domain.reconciliation import (
    Compared,
    Mismatch,
    Reconciliation,
    ReconciliationReport,
    SettlementRow,
    joined,
    reconcile,
    settlement_rows,
)
from services.clearing.domain.regions import NATIONAL, ClearingScope, clearing_scope_of, province_of
from services.clearing.domain.statements import (
    Counterparty,
    InstitutionStatement,
    InstitutionTotal,
    institution_statements,
    institution_totals,
    region_counterparties,
)

__all__ = [
    "CHINA_TIME", "MONTHLY", "NATIONAL",
    "CancellationMismatch", "ClaimFact", "ClearingCycle", "ClearingError", "ClearingFault", "ClearingRefusal",
    "ClearingRepository", "ClearingScope", "CloseReason", "Compared", "Confirmation", "ConflictingRedelivery", "Counterparty",
    "CycleCalendar", "CycleClosing", "CycleNotClosed", "CycleNotDue", "CycleNotFound", "CycleNotOpen", "DetailLine",
    "FundDetailMismatch", "InstitutionPayable", "InstitutionStatement", "InstitutionTotal", "InvalidAmount",
    "InvalidCalendar", "InvalidFundAmount", "InvalidRegionCode", "ItemNotInDetail", "ItemRolledBack", "Mismatch",
    "NaiveTime", "NetPosition", "Obligation", "Pair", "Period", "PrepaymentEntry", "PrepaymentIdReused",
    "PrepaymentInsufficient", "Reconciliation", "ReconciliationReport", "RegionNotInScope", "ScopeMismatch",
    "SettlementRow",
    "advance_prepayment", "apply_prepayments", "bilateral_totals", "business_date", "claim_fact", "clearing_scope_of",
    "confirm_items", "fact_from_cancelled", "fact_from_settled", "institution_detail", "institution_payable",
    "institution_statements", "institution_totals", "joined", "net_positions", "prepayment_balances", "province_of", "reconcile",
    "refund_prepayment", "region_counterparties", "roll_back_items", "settlement_rows",
]
