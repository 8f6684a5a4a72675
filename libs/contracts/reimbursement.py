"""Manual reimbursement (零星报销): an office claims a bill the patient paid in full, for them.

When a bill could not be settled directly (an emergency elsewhere without a filing, a system
outage, a non-networked hospital), the patient pays everything and brings the receipts to the
enrollment office of their insured region. The office submits the bill with the receipts' data
(`SubmitReimbursement`); settlement adjudicates it like any claim (insured region's policy,
treatment region's catalogue, the same accumulators and explanation), and the funds' part becomes
a payable to the person, paid by bank transfer (`RecordReimbursementPayout` → `ReimbursementPaidOut`).
The office's reference (`office_ref`, unique within its region) is the idempotency key.

Commands travel on `reimbursements.commands` (offices produce, settlement consumes), outcomes on
`reimbursements.outcomes` (settlement produces, offices consume), both keyed as named below.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from libs.contracts import topics
from libs.contracts.bounds import MAX_LINES, Fen, Id, Reason
from libs.contracts.claims import (
    Admdvs,
    Code,
    ExplanationLine,
    FeeLine,
    FundDetail,
    HospitalLevel,
    Insutype,
    MedType,
    ReasonCode,
    SettlementAmounts,
)
from libs.contracts.envelope import Payload

WhyManual = Literal["emergency_without_filing", "system_outage", "non_networked_institution", "other"]


class Receipt(BaseModel):
    """One receipt (医疗收费票据) the patient brought: its number is never reimbursed twice."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    receipt_no: Id = Field(min_length=1, max_length=64, description="票据号码: the receipt's number, unique nationally.")
    issued_on: date = Field(description="开票日期: the day the institution issued it.")
    amount: Fen = Field(ge=0, description="票据金额 in fen: what the patient paid on it.")


class SubmitReimbursement(Payload):
    """An office submits a bill the patient paid in full, with the receipts' data (key: psn_no)."""

    event_type = "SubmitReimbursement"

    office_ref: Id = Field(min_length=1, max_length=64,
                           description="The office's own reference for this claim; idempotency key within its region.")
    reason: WhyManual = Field(description="Why the bill was not settled directly.")
    received_on: date = Field(description="受理日期: the day the office received the claim (China time); "
                                          "the pack's time limit counts to it.")
    psn_no: Id = Field(min_length=1, max_length=40, description="人员编号 of the insured person.")
    insutype: Insutype = Field(description="险种类型: 310 employee, 390 resident, 510 maternity.")
    insuplc_admdvs: Admdvs = Field(description="参保地医保区划: the insured region, the office's own.")
    mdtrtarea_admvs: Admdvs = Field(description="就医地医保区划: where the care was given.")
    fixmedins_code: Id = Field(min_length=1, max_length=30,
                               description="定点医药机构编号 of the institution that gave the care (or its registration code).")
    fixmedins_type: Literal["hospital", "pharmacy"] = Field(default="hospital", description="Kind of institution.")
    hosp_lv: HospitalLevel = Field(description="The institution's level: primary, 1, 2, 3, provincial.")
    med_type: MedType = Field(description="医疗类别 of the care, as for a direct settlement.")
    begntime: datetime = Field(description="开始时间: date and time of service (admission for inpatients).")
    endtime: datetime | None = Field(default=None, description="结束时间: discharge, for inpatients.")
    dise_codg: Code | None = Field(default=None, description="病种编码: main diagnosis (ICD-10).")
    opsp_dise_code: Code | None = Field(default=None, description="门慢门特病种代码, for med_type 14.")
    bilg_dr_codg: Code | None = Field(default=None, description="开单医生编码, for special drugs.")
    acct_used_flag: bool = Field(default=True, description="Whether the person's personal account pays their share (employees); "
                                                           "the account's part is transferred with the funds'.")
    receipts: list[Receipt] = Field(min_length=1, max_length=50, description="The receipts the bill is proven by.")
    fee_details: list[FeeLine] = Field(min_length=1, max_length=MAX_LINES,
                                       description="The bill's fee lines, from the receipts' itemised lists.")


class CancelReimbursement(Payload):
    """The office withdraws a reimbursement not yet paid out (key: psn_no)."""

    event_type = "CancelReimbursement"

    office_ref: Id = Field(description="The reimbursement to cancel.")
    insuplc_admdvs: Admdvs = Field(description="The office's region.")
    psn_no: Id = Field(description="人员编号 (the message key).")
    reason: Reason = Field(default="", max_length=200, description="Why the office cancels.")


class RecordReimbursementPayout(Payload):
    """The office's bank transferred the money to the person (key: psn_no)."""

    event_type = "RecordReimbursementPayout"

    office_ref: Id = Field(description="The reimbursement paid out.")
    insuplc_admdvs: Admdvs = Field(description="The office's region.")
    psn_no: Id = Field(description="人员编号 (the message key).")
    bank_ref: Id = Field(min_length=1, max_length=64, description="The bank transfer's reference.")
    amount: Fen = Field(gt=0, description="The amount transferred, in fen: must be what is payable.")


class _Outcome(Payload):
    office_ref: Id = Field(description="The office's reference this outcome answers.")
    insuplc_admdvs: Admdvs = Field(description="The office's region (the message key).")
    psn_no: Id = Field(description="人员编号.")


class ReimbursementSettled(_Outcome):
    """Adjudicated like a direct claim: the funds' part (and the account's) is payable to the person."""

    event_type = "ReimbursementSettled"

    setl_id: Id = Field(description="结算ID.")
    mdtrtarea_admvs: Admdvs = Field(description="就医地医保区划.")
    amounts: SettlementAmounts = Field(description="The split by scope and by payer.")
    setldetail: list[FundDetail] = Field(max_length=50, description="One row per fund that pays.")
    acct_pay: Fen = Field(description="个人账户支出: the person's own account pays this part of their share.")
    acct_mulaid_pay: Fen = Field(description="个人账户共济支付金额: a relative's account pays this part.")
    payable_amt: Fen = Field(description="What the office transfers to the person: the funds' part plus the accounts'.")
    setl_time: datetime | None = Field(default=None, description="结算时间: when it was settled; the settlement year the "
                                                                 "no-claim-year incentive counts it in (absent from "
                                                                 "messages sent before the field existed).")
    explanation: list[ExplanationLine] = Field(default_factory=list, max_length=500, description="Why each amount is what it is.")


class ReimbursementRejected(_Outcome):
    """The reimbursement was refused; nothing was recorded."""

    event_type = "ReimbursementRejected"

    reason_code: ReasonCode = Field(description="Stable code: ALREADY_SETTLED_DIRECTLY, OUTSIDE_TIME_LIMIT, RECEIPT_ALREADY_REIMBURSED, "
                                                "OFFICE_REF_REUSED, REIMBURSEMENT_PAID_OUT, or any claim reason code.")
    reason: Reason = Field(description="A sentence an office clerk can act on.")


class ReimbursementCancelled(_Outcome):
    """The reimbursement was withdrawn: accumulators, fund entries and the accounts restored."""

    event_type = "ReimbursementCancelled"

    setl_id: Id = Field(description="结算ID of the withdrawn reimbursement.")
    amounts: SettlementAmounts = Field(description="The amounts taken back.")


class ReimbursementPaidOut(_Outcome):
    """The payable was paid to the person by bank transfer."""

    event_type = "ReimbursementPaidOut"

    setl_id: Id = Field(description="结算ID.")
    bank_ref: Id = Field(description="The bank transfer's reference.")
    amount: Fen = Field(description="The amount transferred, in fen.")


CARRIES = {
    topics.REIMBURSEMENTS_COMMANDS.name: (SubmitReimbursement, CancelReimbursement, RecordReimbursementPayout),
    topics.REIMBURSEMENTS_OUTCOMES.name: (ReimbursementSettled, ReimbursementRejected, ReimbursementCancelled,
                                          ReimbursementPaidOut),
}
