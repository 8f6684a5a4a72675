"""Claim messages between hospitals, the settlement engine, the wallet and clearing.

Field names follow the national interface for designated institutions (定点医药机构接口规范), so a
HIS developer recognises them. Every amount is integer fen (分); unit prices and counts are decimals.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from libs.contracts import topics
from libs.contracts.bounds import MAX_LINES, Fen, Id, Quantity, Ratio, Reason, Region, UnitPrice, text
from libs.contracts.envelope import Payload

HospitalLevel = Literal["primary", "1", "2", "3", "provincial"]
Insutype = Literal["310", "390", "510"]
MedType = Literal["11", "13", "14", "15", "21", "41", "51", "52"]
Admdvs = Region
Code = text(50, min_length=1)  # a catalogue, diagnosis or doctor code as the HIS keys it
ReasonCode = text(60)  # a stable machine code such as `INVALID_CLAIM`
ExplanationLine = text(2000)


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FeeLine(_Part):
    """One line of the bill as the HIS uploads it (2204 / 2301)."""

    feedetl_sn: Id = Field(max_length=30, description="费用明细流水号: the hospital's id of this line, unique within the claim.")
    init_feedetl_sn: Id | None = Field(default=None, max_length=30, description="原费用流水号: for a refund line, the line it refunds.")
    med_list_codg: Code = Field( description="医疗目录编码: the national catalogue code of the drug, item or material.")
    cnt: Quantity = Field(description="数量: count; negative on a refund line.")
    pric: UnitPrice = Field(description="单价: unit price in yuan (up to 6 decimals).")
    det_item_fee_sumamt: Fen = Field(description="明细项目费用总额: line amount in fen; must equal cnt × pric rounded half-up to the fen.")
    drug_trac_codg: list[Id] = Field(default_factory=list, max_length=1000, description="药品追溯码: traceability codes of the boxes sold on this line.")


class ClaimSubmitted(Payload):
    """A hospital or pharmacy asks to settle (2207/2304) or pre-settle (2206/2303) one visit."""

    event_type = "ClaimSubmitted"

    claim_id: Id = Field( description="The institution's own id for this settlement request; idempotency key and correlation id.")
    action: Literal["settle", "presettle"] = Field(description="`settle` posts the money; `presettle` computes the same split with no side effect.")
    fixmedins_code: Id = Field(max_length=30, description="定点医药机构编号: the hospital or pharmacy.")
    fixmedins_type: Literal["hospital", "pharmacy"] = Field(default="hospital", description="Kind of designated institution.")
    hosp_lv: HospitalLevel = Field(description="Hospital level: primary (基层), 1, 2, 3, or provincial.")
    mdtrt_id: Id = Field( description="就诊ID: the visit or admission.")
    psn_no: Id = Field(max_length=40, description="人员编号: the insured person's number (from the 1101 person query).")
    insutype: Insutype = Field(description="险种类型: 310 employee, 390 resident, 510 maternity.")
    med_type: MedType = Field(description="医疗类别: 11 outpatient, 13 emergency, 14 chronic/special outpatient, 15 special drug, 21 inpatient, 41 pharmacy, 51/52 maternity.")
    insuplc_admdvs: Admdvs = Field(description="参保地医保区划: the insured region.")
    mdtrtarea_admvs: Admdvs = Field(description="就医地医保区划: the treatment region.")
    begntime: datetime = Field(description="开始时间: date and time of service (admission for inpatients).")
    endtime: datetime | None = Field(default=None, description="结束时间: discharge time for inpatients.")
    dise_codg: Code | None = Field(default=None, description="病种编码: main diagnosis (ICD-10).")
    opsp_dise_code: Code | None = Field(default=None, description="门慢门特病种代码: chronic or special outpatient disease, for med_type 14.")
    bilg_dr_codg: Code | None = Field(default=None, description="开单医生编码: prescribing doctor (needed for special drugs).")
    acct_used_flag: bool = Field(default=True, description="个人账户使用标志: whether the patient chose to pay from the personal account.")
    work_injury: bool = Field(default=False, description="The hospital declares the injury work-related (工伤): not payable by medical insurance.")
    fee_details: list[FeeLine] = Field(min_length=1, max_length=MAX_LINES, description="The bill's fee lines.")


class ClaimCancelRequested(Payload):
    """A hospital asks to cancel a settled claim (2208 / 2305) or reverse it (2601)."""

    event_type = "ClaimCancelRequested"

    claim_id: Id = Field(description="The settled claim to cancel.")
    cancel_id: Id = Field( description="The institution's id for this cancel request (idempotency key).")
    fixmedins_code: Id = Field(description="定点医药机构编号: must be the institution that settled the claim.")
    psn_no: Id = Field(description="人员编号 of the claim's patient (the message key).")
    reason: Reason = Field(default="", max_length=200, description="Why the hospital cancels.")


class FundDetail(_Part):
    """One fund's payment in a settlement (setldetail)."""

    fund_pay_type: ReasonCode = Field(description="基金支付类型: pooling (hifp), critical illness (hifmi/hifob), assistance (maf), maternity.")
    fund_payamt: Fen = Field(description="基金支付金额 in fen.")


class SettlementAmounts(_Part):
    """How one bill splits, by policy scope and by payer (DOMAIN.md section 3), all in fen."""

    medfee_sumamt: Fen = Field(description="医疗费总额: the bill's total.")
    fulamt_ownpay_amt: Fen = Field(description="全自费金额: outside the catalogue.")
    overlmt_selfpay: Fen = Field(description="超限价自费: above the price cap.")
    preselfpay_amt: Fen = Field(description="先行自付金额: 乙类 self-pay ratio part.")
    inscp_scp_amt: Fen = Field(description="符合政策范围金额: what the funds consider.")
    act_pay_dedc: Fen = Field(description="实际支付起付线: deductible applied.")
    hifp_pay: Fen = Field(description="统筹基金支出: pooling fund.")
    pool_prop_selfpay: Ratio = Field(description="基本医疗保险统筹基金支付比例: the pooling fund's ratio applied.")
    hifmi_pay: Fen = Field(default=0, description="居民大病保险资金支出: resident critical-illness insurance.")
    hifob_pay: Fen = Field(default=0, description="职工大额医疗费用补助基金支出: employee large-amount fund.")
    maf_pay: Fen = Field(default=0, description="医疗救助基金支出: medical assistance.")
    oth_pay: Fen = Field(default=0, description="其他支出: other funds (maternity).")
    fund_pay_sumamt: Fen = Field(description="基金支付总额: all funds together.")
    psn_part_amt: Fen = Field(description="个人负担总金额: what the patient carries.")


class ClaimAdjudicated(Payload):
    """Settlement decided the split; the wallet now pays the personal part."""

    event_type = "ClaimAdjudicated"

    claim_id: Id = Field(description="The claim.")
    setl_id: Id = Field(description="结算ID assigned by the settlement engine.")
    psn_no: Id = Field(description="人员编号 of the patient.")
    insutype: Insutype = Field(description="险种类型.")
    fixmedins_code: Id = Field(description="定点医药机构编号.")
    psn_part_amt: Fen = Field(ge=0, description="个人负担总金额 to pay: account first, then family aid, then cash.")
    acct_used_flag: bool = Field(description="Whether the patient chose to use the personal account.")


class ClaimCancellationAdjudicated(Payload):
    """Settlement accepted a cancellation; the wallet refunds each source of the personal part."""

    event_type = "ClaimCancellationAdjudicated"

    claim_id: Id = Field(description="The claim being cancelled.")
    cancel_id: Id = Field(description="The hospital's cancel request id.")
    setl_id: Id = Field(description="结算ID of the settlement being reversed.")
    psn_no: Id = Field(description="人员编号 of the patient.")
    fixmedins_code: Id = Field(description="定点医药机构编号.")


class PersonalPartPaid(Payload):
    """The wallet paid the personal part of a claim."""

    event_type = "PersonalPartPaid"

    claim_id: Id = Field(description="The claim.")
    setl_id: Id = Field(description="结算ID.")
    psn_no: Id = Field(description="人员编号.")
    acct_pay: Fen = Field(ge=0, description="个人账户支出: from the patient's own account.")
    acct_mulaid_pay: Fen = Field(ge=0, description="个人账户共济支付金额: from a bound relative's account.")
    psn_cash_pay: Fen = Field(ge=0, description="个人现金支出: paid in cash at the counter.")
    balc: Fen = Field(ge=0, description="余额: the patient's own account balance after payment.")


class PersonalPartRefunded(Payload):
    """The wallet refunded every source of a cancelled claim's personal part."""

    event_type = "PersonalPartRefunded"

    claim_id: Id = Field(description="The claim.")
    cancel_id: Id = Field(description="The cancel request.")
    setl_id: Id = Field(description="结算ID.")
    psn_no: Id = Field(description="人员编号.")
    acct_pay: Fen = Field(ge=0, description="Refunded to the patient's own account.")
    acct_mulaid_pay: Fen = Field(ge=0, description="Refunded to the relative's account.")
    psn_cash_pay: Fen = Field(ge=0, description="To hand back in cash at the counter.")
    balc: Fen = Field(ge=0, description="The patient's own account balance after the refund.")


class _Outcome(Payload):
    claim_id: Id = Field(description="The claim this outcome answers.")
    fixmedins_code: Id = Field(description="定点医药机构编号 (the message key).")
    psn_no: Id = Field(description="人员编号.")


class ClaimSettled(_Outcome):
    """The final settlement (2207/2304 output): funds posted, personal part paid."""

    event_type = "ClaimSettled"

    setl_id: Id = Field(description="结算ID.")
    insutype: Insutype = Field(description="险种类型.")
    med_type: MedType = Field(description="医疗类别.")
    insuplc_admdvs: Admdvs = Field(description="参保地医保区划.")
    mdtrtarea_admvs: Admdvs = Field(description="就医地医保区划.")
    setl_time: datetime = Field(description="结算时间.")
    amounts: SettlementAmounts = Field(description="The split by scope and by payer.")
    acct_pay: Fen = Field(description="个人账户支出.")
    acct_mulaid_pay: Fen = Field(description="个人账户共济支付金额.")
    psn_cash_pay: Fen = Field(description="个人现金支出.")
    balc: Fen = Field(description="余额: personal account balance after payment.")
    setldetail: list[FundDetail] = Field(max_length=50, description="One row per fund that paid.")
    explanation: list[ExplanationLine] = Field(default_factory=list, max_length=500, description="Why each amount is what it is, for the clerk.")


class ClaimPreSettled(_Outcome):
    """A pre-settlement (2206/2303 output): the same split, nothing posted."""

    event_type = "ClaimPreSettled"

    amounts: SettlementAmounts = Field(description="The split by scope and by payer.")
    setldetail: list[FundDetail] = Field(max_length=50, description="One row per fund that would pay.")
    explanation: list[ExplanationLine] = Field(default_factory=list, max_length=500, description="Why each amount is what it is.")


class ClaimRejected(_Outcome):
    """The claim was refused; nothing was posted."""

    event_type = "ClaimRejected"

    reason_code: ReasonCode = Field(description="Stable machine code, e.g. `NOT_INSURED`, `WAITING_PERIOD`, `INVALID_CLAIM`.")
    reason: Reason = Field(description="A sentence a hospital clerk can act on.")


class ClaimCancelled(_Outcome):
    """A settled claim was cancelled: contra entries posted, the personal part refunded."""

    event_type = "ClaimCancelled"

    cancel_id: Id = Field(description="The hospital's cancel request id.")
    setl_id: Id = Field(description="结算ID of the reversed settlement.")
    insuplc_admdvs: Admdvs = Field(description="参保地医保区划.")
    mdtrtarea_admvs: Admdvs = Field(description="就医地医保区划.")
    cancel_time: datetime = Field(description="When the cancellation took effect.")
    amounts: SettlementAmounts = Field(description="The reversed settlement's amounts (positive; they are taken back).")
    setldetail: list[FundDetail] = Field(max_length=50, description="The fund payments taken back.")
    acct_pay: Fen = Field(description="Refunded to the personal account.")
    acct_mulaid_pay: Fen = Field(description="Refunded to the relative's account.")
    psn_cash_pay: Fen = Field(description="Cash to hand back.")


CARRIES = {
    topics.CLAIMS_SUBMITTED.name: (ClaimSubmitted, ClaimCancelRequested),
    topics.CLAIMS_ADJUDICATED.name: (ClaimAdjudicated, ClaimCancellationAdjudicated),
    topics.WALLET_PAYMENTS.name: (PersonalPartPaid, PersonalPartRefunded),
    topics.CLAIMS_OUTCOMES.name: (ClaimSettled, ClaimPreSettled, ClaimRejected, ClaimCancelled),
}
