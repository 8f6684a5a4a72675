"""What adjudication answers: a `Settlement` (the split, the funds, the delta, the why) or a `Rejection`."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal

from libs.money import Fen
from services.settlement.domain.accumulators import AccumulatorDelta
from services.settlement.domain.errors import ClaimRefused, ReasonCode

# 基金支付类型 of the national interface, by fund and scheme (employee 310, resident 390).
FUND_PAY_TYPES = {
    ("pooling", "310"): "310100",  # 职工基本医疗保险统筹基金
    ("pooling", "390"): "390100",  # 城乡居民基本医疗保险基金
    ("critical_illness", "310"): "330100",  # 职工大额医疗费用补助
    ("critical_illness", "390"): "390200",  # 城乡居民大病医疗保险基金
    ("assistance", "310"): "610100",  # 医疗救助基金
    ("assistance", "390"): "610100",
    ("maternity", "310"): "510100",  # 生育基金
    ("maternity", "390"): "510100",
}


@dataclass(frozen=True)
class LineSplit:
    """One fee line split by policy scope; the four parts sum to `det_item_fee_sumamt`."""

    feedetl_sn: str
    med_list_codg: str
    name: str
    chrgitm_lv: str
    selfpay_prop: Decimal
    pric_uplmt_amt: Fen | None
    det_item_fee_sumamt: Fen
    fulamt_ownpay_amt: Fen
    overlmt_amt: Fen
    preselfpay_amt: Fen
    inscp_scp_amt: Fen
    note: str | None = None


@dataclass(frozen=True)
class Amounts:
    """Field for field the `SettlementAmounts` contract: `SettlementAmounts(**asdict(amounts))`."""

    medfee_sumamt: Fen
    fulamt_ownpay_amt: Fen
    overlmt_selfpay: Fen
    preselfpay_amt: Fen
    inscp_scp_amt: Fen
    act_pay_dedc: Fen
    hifp_pay: Fen
    pool_prop_selfpay: Decimal
    hifmi_pay: Fen
    hifob_pay: Fen
    maf_pay: Fen
    oth_pay: Fen
    fund_pay_sumamt: Fen
    psn_part_amt: Fen

    def as_dict(self) -> dict[str, Fen | Decimal]:
        # Not dataclasses.asdict: it deep-copies every value (each Decimal too), 3 % of settlement's CPU.
        return {name: getattr(self, name) for name in _AMOUNT_FIELDS}


_AMOUNT_FIELDS = tuple(f.name for f in fields(Amounts))


@dataclass(frozen=True)
class FundPayment:
    """One fund's payment (a `setldetail` row); `fund` is the ledger's name for it."""

    fund: str
    fund_pay_type: str
    fund_payamt: Fen

    def as_detail(self) -> dict[str, str | Fen]:
        """The `FundDetail` contract's fields."""
        return {"fund_pay_type": self.fund_pay_type, "fund_payamt": self.fund_payamt}


@dataclass(frozen=True)
class Settlement:
    claim_id: str
    psn_no: str
    fixmedins_code: str
    insutype: str
    med_type: str
    insuplc_admdvs: str
    mdtrtarea_admvs: str
    service_date: date
    pack_id: str
    catalogue_region: str
    amounts: Amounts
    fund_payments: tuple[FundPayment, ...]
    lines: tuple[LineSplit, ...]
    delta: AccumulatorDelta
    # Codes of the drug boxes sold net of refunds: the service layer records them as used.
    traceability_codes: tuple[str, ...]
    explanation: tuple[str, ...]
    manual: bool = False  # a manual reimbursement (零星报销): the funds owe the person, not the institution

    @property
    def is_cross_region(self) -> bool:
        return self.insuplc_admdvs != self.mdtrtarea_admvs

    def setldetail(self) -> list[dict[str, str | Fen]]:
        return [payment.as_detail() for payment in self.fund_payments]


@dataclass(frozen=True)
class Rejection:
    claim_id: str
    psn_no: str
    fixmedins_code: str
    reason_code: ReasonCode
    reason: str

    @classmethod
    def of(cls, refusal: ClaimRefused, *, claim_id: str, psn_no: str, fixmedins_code: str) -> Rejection:
        return cls(claim_id, psn_no, fixmedins_code, refusal.reason_code, refusal.reason)
