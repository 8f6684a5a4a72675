"""Enrollment commands (from enrollment offices' systems) and the coverage facts every service projects.

Commands travel on `enrollment.commands` keyed by `psn_no`; the same JSON is the body of the matching
HTTP endpoint (docs/enrollment.md, Transport). Each carries `command_id`, its idempotency key. Dates a
command leaves out default to the day it was issued (the envelope's `occurred_at`, China time).
Amounts are integer fen. Inputs the rules check (ID number, region codes, dates) are refused with a
reason code in `EnrollmentCommandRefused` rather than rejected as malformed, so the clerk learns why.
The resident ID number and the name never leave the enrollment service in an event.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from libs.contracts import topics
from libs.contracts.bounds import PRINTABLE, Fen, Id, Name, Reason, RegionOrProvince, Version
from libs.contracts.claims import Admdvs, Code, Insutype, ReasonCode
from libs.contracts.envelope import Payload

EmploymentStatus = Literal["employed", "flexible", "retired", "none"]
HardshipGroup = Literal["none", "extreme_hardship", "minimum_income", "at_risk_of_poverty", "returned_to_poverty"]
Relation = Literal["spouse", "parent", "child"]
FilingKind = Literal["long_term_residence", "temporary", "referral", "emergency"]
Age = Annotated[int, Field(ge=0, le=150)]
Years = Annotated[int, Field(ge=0, le=150)]
Months = Annotated[int, Field(ge=-10_000, le=10_000)]  # wide: the rules refuse 0 or too many with a reason
CertNo = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=PRINTABLE)]
CommandType = Annotated[str, StringConstraints(min_length=1, max_length=80, pattern=PRINTABLE)]
# a region code as keyed: the rules refuse a wrong one with INVALID_REGION_CODE
RegionText = Annotated[str, StringConstraints(min_length=1, max_length=12, pattern=PRINTABLE)]


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RegisterPerson(Payload):
    """Register an insured person (参保登记) and, with `begndate`, enroll them from that day.

    With `begndate` the registration is an ordinary enrollment the office's register already shows:
    resident coverage (390) to 31 December of the current year, employee coverage (310) until ended,
    no waiting period. Without it the person is registered only; an enrollment command follows.
    """

    event_type = "RegisterPerson"

    command_id: Id = Field(min_length=1, max_length=64, description="Idempotency key of this command.")
    psn_no: Id = Field(min_length=1, max_length=40, description="人员编号 assigned by the office's system (opaque, never the ID number).")
    certno: CertNo = Field(description="18-character resident ID (GB 11643); masked in logs, never republished. "
                                       "A wrong one is refused with INVALID_ID_NUMBER.")
    psn_name: Name = Field(min_length=1, max_length=50, description="姓名; masked in logs, never republished.")
    gend: Literal["1", "2"] = Field(description="性别: 1 male, 2 female (must match the ID).")
    brdy: date = Field(description="出生日期 (must match the ID).")
    insutype: Insutype = Field(description="险种类型: 310 employee, 390 resident, 510 maternity.")
    insuplc_admdvs: RegionText = Field(description="参保地医保区划: 6-digit insured region (INVALID_REGION_CODE otherwise).")
    emp_status: EmploymentStatus = Field(default="none", description="Employment status (employee scheme).")
    hardship_group: HardshipGroup = Field(default="none", description="Hardship group for subsidies and medical assistance.")
    begndate: date | None = Field(default=None, description="Requested coverage start; absent: register only.")


class _PersonCommand(Payload):
    command_id: Id = Field(
        min_length=1, max_length=64,
        description="Idempotency key: a repeat is answered from the first outcome and changes nothing.")
    psn_no: Id = Field(min_length=1, max_length=40, description="人员编号 of the person concerned (the message key).")


class LinkRelative(_PersonCommand):
    """Link a near relative for family mutual aid (家庭共济); both people are linked, each from their side."""

    event_type = "LinkRelative"

    relative_psn_no: Id = Field(min_length=1, max_length=40, description="人员编号 of the relative (must be registered).")
    relation: Relation = Field(description="What the relative is to this person: spouse, parent or child.")


class UnlinkRelative(_PersonCommand):
    """Remove a near relative's link, on both sides."""

    event_type = "UnlinkRelative"

    relative_psn_no: Id = Field(min_length=1, max_length=40, description="人员编号 of the linked relative.")


class ChangeHardshipGroup(_PersonCommand):
    """Record the hardship group civil affairs certified; it decides the subsidy of premiums paid from now on."""

    event_type = "ChangeHardshipGroup"

    hardship_group: HardshipGroup = Field(description="The certified group, or none.")
    effective_on: date | None = Field(default=None, description="Certified from; default the command's day.")


class EnrollResident(_PersonCommand):
    """Pay a resident premium (城乡居民缴费) for one coverage year: in the centralized period, or late with a waiting period."""

    event_type = "EnrollResident"

    coverage_year: int = Field(ge=2000, le=2100, description="The coverage year paid for.")
    paid_on: date | None = Field(default=None, description="Payment day; default the command's day.")
    cash_amount: Fen = Field(ge=0, description="个人缴费: the personal part paid, in fen; must equal the standard less any subsidy.")


class EnrollStudent(_PersonCommand):
    """A university student pays once for the whole study period (October to December of the admission year)."""

    event_type = "EnrollStudent"

    insuplc_admdvs: RegionText = Field(description="参保地医保区划: the university's pooling region.")
    admitted_on: date = Field(description="入学日期: admission day.")
    study_years: int = Field(ge=0, le=20, description="Years of study paid for (1 to 8).")
    paid_on: date | None = Field(default=None, description="Payment day; default the command's day.")
    coverage_starts_on: date | None = Field(default=None, description="Coverage start if later than admission.")
    cash_amount: Fen = Field(ge=0, description="个人缴费 for the whole study period, in fen.")


class EnrollNewborn(_PersonCommand):
    """Enroll a newborn without payment in the birth year, covered from the day of birth."""

    event_type = "EnrollNewborn"

    enrolled_on: date | None = Field(default=None, description="Enrollment day; default the command's day.")


class EnrollEmployee(_PersonCommand):
    """Start employee-scheme coverage (职工医保), optionally with maternity insurance."""

    event_type = "EnrollEmployee"

    begndate: date = Field(description="First covered day.")
    emp_status: Literal["employed", "flexible"] = Field(description="employed, or flexible (灵活就业).")
    with_maternity: bool = Field(default=False, description="Also maternity insurance (510).")


class EndEmployeeCoverage(_PersonCommand):
    """End employee (and maternity) coverage."""

    event_type = "EndEmployeeCoverage"

    enddate: date = Field(description="Last covered day.")


class RecordEmployeeContribution(_PersonCommand):
    """One month's employee-scheme contribution, employer and employee parts."""

    event_type = "RecordEmployeeContribution"

    year: int = Field(ge=1990, le=2100, description="Contribution year.")
    month: Months = Field(description="Contribution month, 1 to 12 (others are refused with INVALID_AMOUNT).")
    employer_amount: Fen = Field(description="单位缴费 in fen.")
    employee_amount: Fen = Field(description="个人缴费 in fen.")
    paid_on: date | None = Field(default=None, description="Payment day; default the command's day.")


class RecordDeemedContribution(_PersonCommand):
    """Deemed contribution years (视同缴费年限) before the region's employee scheme began."""

    event_type = "RecordDeemedContribution"

    months: Months = Field(description="Deemed months to add.")


class PayRetirementShortfall(_PersonCommand):
    """A one-off payment of missing contribution years before retirement (一次性补足)."""

    event_type = "PayRetirementShortfall"

    months: Months = Field(description="Months paid up.")
    employer_amount: Fen = Field(description="Employer's part in fen.")
    employee_amount: Fen = Field(description="Person's part in fen.")
    paid_on: date | None = Field(default=None, description="Payment day; default the command's day.")


class Retire(_PersonCommand):
    """Retire an employee into retirement benefits (contribution years are checked)."""

    event_type = "Retire"

    retired_on: date | None = Field(default=None, description="Retirement day; default the command's day.")


class ApplyForTransfer(_PersonCommand):
    """Transfer step 1 (转移接续): the person applies at the new region."""

    event_type = "ApplyForTransfer"

    transfer_id: Id = Field(min_length=1, max_length=64, description="The transfer's number, used by the later steps.")
    to_admdvs: RegionText = Field(description="转入地医保区划: the new insured region.")
    applied_on: date | None = Field(default=None, description="Application day; default the command's day.")


class RequestTransfer(_PersonCommand):
    """Transfer step 2: the new region sends its contact letter (联系函) to the old one."""

    event_type = "RequestTransfer"

    transfer_id: Id = Field(min_length=1, max_length=64, description="The transfer applied for.")
    requested_on: date | None = Field(default=None, description="Day of the letter; default the command's day.")


class CompleteTransfer(_PersonCommand):
    """Transfer step 3: the old region transfers; coverage continues in the new region without a gap."""

    event_type = "CompleteTransfer"

    transfer_id: Id = Field(min_length=1, max_length=64, description="The transfer requested.")
    effective_on: date | None = Field(default=None, description="First day insured in the new region; default the command's day.")


class CancelTransfer(_PersonCommand):
    """Cancel a transfer still in progress."""

    event_type = "CancelTransfer"

    transfer_id: Id = Field(min_length=1, max_length=64, description="The transfer to cancel.")


class FileCrossRegionTreatment(_PersonCommand):
    """File cross-region treatment (异地就医备案) so hospitals in the filed area settle directly."""

    event_type = "FileCrossRegionTreatment"

    filing_id: Id = Field(min_length=1, max_length=64, description="备案号, unique per person.")
    kind: FilingKind = Field(description="long_term_residence, temporary, referral, or emergency (filed after admission).")
    mdtrtarea_admvs: RegionText = Field(max_length=6, description="就医地: a 6-digit region, or a 2-digit province for the whole province.")
    filed_on: date | None = Field(default=None, description="Filing day; default the command's day.")
    begndate: date | None = Field(
        default=None, description="Valid from; default the filing day; for an emergency the admission day (required).")
    enddate: date | None = Field(default=None, description="Valid until (inclusive); default by kind: residence open, others 6 months.")
    discharge_settled_on: date | None = Field(default=None, description="Emergency: the day the discharge was settled, if it was.")


class CancelFiling(_PersonCommand):
    """Cancel a cross-region filing; it is no longer valid from `cancelled_on`."""

    event_type = "CancelFiling"

    filing_id: Id = Field(min_length=1, max_length=64, description="备案号 of the filing.")
    cancelled_on: date | None = Field(default=None, description="First day no longer valid; default the command's day.")


class ApproveChronicDisease(_PersonCommand):
    """Approve a chronic or special outpatient disease (门诊慢特病备案)."""

    event_type = "ApproveChronicDisease"

    opsp_dise_code: Code = Field(max_length=30, description="门慢门特病种代码.")
    begndate: date = Field(description="Approval valid from.")
    enddate: date | None = Field(default=None, description="Approval valid until (inclusive); open if absent.")


class RevokeChronicApproval(_PersonCommand):
    """Revoke a chronic-disease approval; it no longer applies from `revoked_on`."""

    event_type = "RevokeChronicApproval"

    opsp_dise_code: Code = Field(max_length=30, description="门慢门特病种代码.")
    revoked_on: date | None = Field(default=None, description="First day no longer approved; default the command's day.")


class DesignateSpecialDrug(_PersonCommand):
    """Fix a dual-channel special drug (门诊特药, 三定) to hospitals, pharmacies and a doctor."""

    event_type = "DesignateSpecialDrug"

    med_list_codg: Code = Field(description="医疗目录编码 of the special drug.")
    hospital_codes: list[Id] = Field(
        default_factory=list, max_length=50, description="定点医疗机构编号 of the designated hospitals (at least one).")
    pharmacy_codes: list[Id] = Field(default_factory=list, max_length=50, description="定点零售药店编号 of the designated pharmacies.")
    bilg_dr_codg: Code = Field(max_length=30, description="The designated responsible doctor.")
    begndate: date = Field(description="Designation valid from.")


class EndSpecialDrugDesignation(_PersonCommand):
    """End a special-drug designation (to change hospital, pharmacy or doctor, end it and designate again)."""

    event_type = "EndSpecialDrugDesignation"

    med_list_codg: Code = Field(description="医疗目录编码 of the special drug.")
    enddate: date | None = Field(default=None, description="Last valid day; default the command's day.")


class ChronicApproval(_Part):
    opsp_dise_code: Code = Field(description="门慢门特病种代码 approved for this person.")
    begndate: date = Field(description="Approval valid from.")
    enddate: date | None = Field(default=None, description="Approval valid until (inclusive); open if absent.")


class SpecialDrugDesignation(_Part):
    med_list_codg: Code = Field(description="The special (dual-channel) drug.")
    fixmedins_codes: list[Id] = Field(max_length=100, description="Designated hospital and/or pharmacy codes.")
    bilg_dr_codg: Code | None = Field(default=None, description="Designated doctor.")
    begndate: date | None = Field(default=None, description="Designation valid from.")
    enddate: date | None = Field(default=None, description="Designation valid until (inclusive); open if absent.")


class CrossRegionFiling(_Part):
    filing_id: Id = Field(description="备案号.")
    kind: FilingKind = Field(description="Kind of filing.")
    mdtrtarea_admvs: RegionOrProvince = Field(
        description="The filed treatment region (a 2-digit prefix code like '44' means the whole province).")
    begndate: date = Field(description="Valid from.")
    enddate: date | None = Field(default=None, description="Valid until (inclusive); open if absent.")


class CoverageChanged(Payload):
    """The complete, current coverage of one person: projections replace what they hold.

    A snapshot rather than a delta, so a projection never depends on having seen every earlier
    event; `version` rises with every change so a stale snapshot is ignored.
    """

    event_type = "CoverageChanged"

    psn_no: Id = Field(description="人员编号.")
    version: Version = Field(description="Increases with every change of this person's coverage.")
    insutype: Insutype = Field(description="险种类型.")
    insuplc_admdvs: Admdvs = Field(description="参保地医保区划.")
    gend: Literal["1", "2"] = Field(description="性别.")
    age: Age = Field(description="Age in whole years on the day of the change.")
    active: bool = Field(description="Whether the person is currently enrolled.")
    coverage_begin: date | None = Field(default=None, description="Start of the current coverage period.")
    coverage_end: date | None = Field(default=None, description="End of the current coverage period (inclusive), open if absent.")
    waiting_until: date | None = Field(default=None, description="Benefits start the day after this date (待遇等待期).")
    retired: bool = Field(default=False, description="Retired employee (退休).")
    emp_status: EmploymentStatus = Field(default="none", description="Employment status.")
    hardship_group: HardshipGroup = Field(default="none", description="Hardship group.")
    continuous_years: Years = Field(default=0, description="Continuous years of enrollment.")
    no_claim_years: Years = Field(default=0, description="Years with no reimbursement followed by normal enrollment.")
    chronic_approvals: list[ChronicApproval] = Field(default_factory=list, max_length=100, description="门慢门特 approvals.")
    special_drugs: list[SpecialDrugDesignation] = Field(
        default_factory=list, max_length=100, description="双通道 special-drug designations.")
    filings: list[CrossRegionFiling] = Field(default_factory=list, max_length=100, description="异地就医备案 filings.")
    family_psn_nos: list[Id] = Field(default_factory=list, max_length=100, description="Insured near relatives (for family mutual aid).")
    maternity: bool = Field(default=False, description="Maternity insurance (510) held on `as_of`.")
    as_of: date | None = Field(
        default=None, description="The day (China time) this snapshot describes; `active` and `age` are on that day.")


class CommandRefused(Payload):
    """An enrollment command was refused; nothing was written."""

    event_type = "EnrollmentCommandRefused"

    command_id: Id = Field(description="The refused command.")
    psn_no: Id | None = Field(default=None, description="The person, when known.")
    reason_code: ReasonCode = Field(description="Stable machine code, e.g. `INVALID_ID_NUMBER`.")
    reason: Reason = Field(description="A sentence the office clerk can act on.")
    command_type: CommandType | None = Field(default=None, description="The refused command's type, e.g. `EnrollResident`.")


class CommandOutcome(_Part):
    """The HTTP API's answer to a command: done, or refused with a reason (never a wire event)."""

    command_id: Id = Field(description="The command answered.")
    command_type: CommandType = Field(description="Its type, e.g. `RegisterPerson`.")
    psn_no: Id | None = Field(default=None, description="人员编号 of the person concerned.")
    outcome: Literal["done", "refused"] = Field(description="What became of the command.")
    version: Version | None = Field(default=None, description="The CoverageChanged version published for it (done).")
    reason_code: ReasonCode | None = Field(default=None, description="Refused: stable machine code.")
    reason: Reason | None = Field(default=None, description="Refused: a sentence the clerk can act on.")
    repeated: bool = Field(default=False, description="True when the id was handled before: this is the first answer again.")


class PersonCoverage(_Part):
    """The HTTP person query (like the national 1101 人员信息获取): who, and their coverage on a day."""

    certno: CertNo = Field(description="Resident ID, masked (430***********123X).")
    psn_name: Name = Field(description="Name, masked (张*).")
    coverage: CoverageChanged = Field(description="The coverage snapshot on `coverage.as_of`, as projections hold it.")


class PersonLookup(_Part):
    """POST /v1/persons/lookup: find a person by resident ID number (1101 by credential)."""

    certno: str = Field(min_length=1, max_length=40, description="The resident ID number; never logged.")
    on: date | None = Field(default=None, description="Day of the coverage; default today.")


class ResidentPremiumQuote(_Part):
    """What a resident pays for a coverage year: the counter's quote, also for a relative paying from their account."""

    psn_no: Id = Field(description="人员编号.")
    coverage_year: int = Field(ge=2000, le=2100, description="The coverage year.")
    insuplc_admdvs: Admdvs = Field(description="The region whose standard applies.")
    payment_opens_on: date = Field(description="Centralized payment period (集中缴费期) opens.")
    payment_closes_on: date = Field(description="Centralized payment period closes.")
    late_enrollment_allowed: bool = Field(description="Whether a late payment in the coverage year is taken (with a waiting period).")
    personal_premium: Fen = Field(description="个人缴费标准 in fen.")
    subsidy: Fen = Field(description="Subsidy for the person's hardship group (medical-assistance fund), in fen.")
    personal_part: Fen = Field(description="What the person pays, in fen: the standard less the subsidy.")


COMMANDS: tuple[type[Payload], ...] = (
    RegisterPerson, LinkRelative, UnlinkRelative, ChangeHardshipGroup, EnrollResident, EnrollStudent, EnrollNewborn,
    EnrollEmployee, EndEmployeeCoverage, RecordEmployeeContribution, RecordDeemedContribution, PayRetirementShortfall,
    Retire, ApplyForTransfer, RequestTransfer, CompleteTransfer, CancelTransfer, FileCrossRegionTreatment,
    CancelFiling, ApproveChronicDisease, RevokeChronicApproval, DesignateSpecialDrug, EndSpecialDrugDesignation,
)

CARRIES = {
    topics.ENROLLMENT_COMMANDS.name: COMMANDS,
    topics.ENROLLMENT_EVENTS.name: (CoverageChanged, CommandRefused),
}
