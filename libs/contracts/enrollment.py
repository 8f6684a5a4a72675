"""Enrollment commands (from enrollment offices) and the coverage facts every service projects."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from libs.contracts.claims import Admdvs, Insutype
from libs.contracts import topics
from libs.contracts.envelope import Payload

EmploymentStatus = Literal["employed", "flexible", "retired", "none"]
HardshipGroup = Literal["none", "extreme_hardship", "minimum_income", "at_risk_of_poverty", "returned_to_poverty"]


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RegisterPerson(Payload):
    """Register an insured person and enroll them in a scheme (the office's 参保登记)."""

    event_type = "RegisterPerson"

    command_id: str = Field(min_length=1, max_length=64, description="Idempotency key of this command.")
    psn_no: str = Field(min_length=1, max_length=40, description="人员编号 assigned by the office's system (opaque, never the ID number).")
    certno: str = Field(min_length=18, max_length=18, description="18-character resident ID (GB 11643); masked in logs, never republished.")
    psn_name: str = Field(min_length=1, max_length=50, description="姓名; masked in logs, never republished.")
    gend: Literal["1", "2"] = Field(description="性别: 1 male, 2 female (must match the ID).")
    brdy: date = Field(description="出生日期 (must match the ID).")
    insutype: Insutype = Field(description="险种类型: 310 employee, 390 resident, 510 maternity.")
    insuplc_admdvs: Admdvs = Field(pattern=r"^\d{6}$", description="参保地医保区划.")
    emp_status: EmploymentStatus = Field(default="none", description="Employment status (employee scheme).")
    hardship_group: HardshipGroup = Field(default="none", description="Hardship group for subsidies and medical assistance.")
    begndate: date = Field(description="Requested coverage start.")


class ChronicApproval(_Part):
    opsp_dise_code: str = Field(description="门慢门特病种代码 approved for this person.")
    begndate: date = Field(description="Approval valid from.")
    enddate: date | None = Field(default=None, description="Approval valid until (inclusive); open if absent.")


class SpecialDrugDesignation(_Part):
    med_list_codg: str = Field(description="The special (dual-channel) drug.")
    fixmedins_codes: list[str] = Field(description="Designated hospital and/or pharmacy codes.")
    bilg_dr_codg: str | None = Field(default=None, description="Designated doctor.")


class CrossRegionFiling(_Part):
    filing_id: str = Field(description="备案号.")
    kind: Literal["long_term_residence", "temporary", "referral", "emergency"] = Field(description="Kind of filing.")
    mdtrtarea_admvs: Admdvs = Field(description="The filed treatment region (a 2-digit prefix code like '44' means the whole province).")
    begndate: date = Field(description="Valid from.")
    enddate: date | None = Field(default=None, description="Valid until (inclusive); open if absent.")


class CoverageChanged(Payload):
    """The complete, current coverage of one person: projections replace what they hold.

    A snapshot rather than a delta, so a projection never depends on having seen every earlier
    event; `version` rises with every change so a stale snapshot is ignored.
    """

    event_type = "CoverageChanged"

    psn_no: str = Field(description="人员编号.")
    version: int = Field(ge=1, description="Increases with every change of this person's coverage.")
    insutype: Insutype = Field(description="险种类型.")
    insuplc_admdvs: Admdvs = Field(description="参保地医保区划.")
    gend: Literal["1", "2"] = Field(description="性别.")
    age: int = Field(ge=0, description="Age in whole years on the day of the change.")
    active: bool = Field(description="Whether the person is currently enrolled.")
    coverage_begin: date | None = Field(default=None, description="Start of the current coverage period.")
    coverage_end: date | None = Field(default=None, description="End of the current coverage period (inclusive), open if absent.")
    waiting_until: date | None = Field(default=None, description="Benefits start the day after this date (待遇等待期).")
    retired: bool = Field(default=False, description="Retired employee (退休).")
    emp_status: EmploymentStatus = Field(default="none", description="Employment status.")
    hardship_group: HardshipGroup = Field(default="none", description="Hardship group.")
    continuous_years: int = Field(default=0, ge=0, description="Continuous years of enrollment.")
    no_claim_years: int = Field(default=0, ge=0, description="Years with no reimbursement followed by normal enrollment.")
    chronic_approvals: list[ChronicApproval] = Field(default_factory=list, description="门慢门特 approvals.")
    special_drugs: list[SpecialDrugDesignation] = Field(default_factory=list, description="双通道 special-drug designations.")
    filings: list[CrossRegionFiling] = Field(default_factory=list, description="异地就医备案 filings.")
    family_psn_nos: list[str] = Field(default_factory=list, description="Insured near relatives (for family mutual aid).")


class CommandRefused(Payload):
    """An enrollment command was refused; nothing was written."""

    event_type = "EnrollmentCommandRefused"

    command_id: str = Field(description="The refused command.")
    psn_no: str | None = Field(default=None, description="The person, when known.")
    reason_code: str = Field(description="Stable machine code, e.g. `INVALID_ID_NUMBER`.")
    reason: str = Field(description="A sentence the office clerk can act on.")


CARRIES = {
    topics.ENROLLMENT_COMMANDS.name: (RegisterPerson,),
    topics.ENROLLMENT_EVENTS.name: (CoverageChanged, CommandRefused),
}
