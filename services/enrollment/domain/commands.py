"""What an enrollment office (or another service) asks the enrollment service to do.

Every command carries `command_id`, its idempotency key, and the `psn_no` it concerns (the Kafka key).
Dates are the business dates the office records (paid on, filed on); the domain never reads a clock.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from libs.money import Fen
from services.enrollment.domain.state import FilingKind
from services.enrollment.domain.vocabulary import EmploymentStatus, HardshipGroup, Relation, Scheme, Sex


def psn_no_for(person_id: uuid.UUID) -> str:
    """人员编号: 32 hex digits of the caller's UUID; the same UUID always gives the same number.

    Opaque on purpose: it says nothing about the person, unlike the ID number it must never be.
    """
    return person_id.hex


@dataclass(frozen=True, kw_only=True)
class Command:
    command_id: str
    psn_no: str


@dataclass(frozen=True, kw_only=True)
class RegisterPerson:
    command_id: str
    person_id: uuid.UUID  # from the caller; the psn_no is derived from it
    id_number: str
    name: str
    sex: Sex
    birth_date: date
    insured_region: str
    scheme: Scheme
    registered_on: date
    employment_status: EmploymentStatus = EmploymentStatus.NONE
    hardship_group: HardshipGroup = HardshipGroup.NONE

    @property
    def psn_no(self) -> str:
        return psn_no_for(self.person_id)


@dataclass(frozen=True, kw_only=True)
class EnrollFromRegistration(Command):
    """The enrollment an office's registration carries (its `begndate`): ordinary coverage, no payment here.

    Resident coverage runs as a centralized-period enrollment to 31 December of `through_year`; employee
    coverage is open-ended. There is no waiting period: the office's register already shows the person insured.
    """

    scheme: Scheme
    starts_on: date
    through_year: int  # resident scheme: the last coverage year the register shows paid


@dataclass(frozen=True, kw_only=True)
class LinkRelative(Command):
    relative_psn_no: str
    relation: Relation  # what the relative is to this person


@dataclass(frozen=True, kw_only=True)
class UnlinkRelative(Command):
    relative_psn_no: str


@dataclass(frozen=True, kw_only=True)
class ChangeHardshipGroup(Command):
    hardship_group: HardshipGroup
    effective_on: date


@dataclass(frozen=True)
class MutualAidPayment:
    """A relative's personal-account money paying a resident premium, as the wallet reported it."""

    payer_psn_no: str
    amount: Fen
    reference: str  # the wallet's payment id


@dataclass(frozen=True, kw_only=True)
class EnrollResident(Command):
    coverage_year: int
    paid_on: date
    cash_amount: Fen = 0  # the personal part paid by the person
    mutual_aid: MutualAidPayment | None = None


@dataclass(frozen=True, kw_only=True)
class EnrollStudent(Command):
    insured_region: str  # the university's pooling region
    admitted_on: date
    study_years: int
    paid_on: date
    coverage_starts_on: date | None = None  # default: the admission date
    cash_amount: Fen = 0
    mutual_aid: MutualAidPayment | None = None


@dataclass(frozen=True, kw_only=True)
class EnrollNewborn(Command):
    enrolled_on: date


@dataclass(frozen=True, kw_only=True)
class EnrollEmployee(Command):
    starts_on: date
    employment_status: EmploymentStatus  # employed or flexible
    with_maternity: bool = False


@dataclass(frozen=True, kw_only=True)
class EndEmployeeCoverage(Command):
    ends_on: date


@dataclass(frozen=True, kw_only=True)
class RecordEmployeeContribution(Command):
    year: int
    month: int
    employer_amount: Fen
    employee_amount: Fen
    paid_on: date


@dataclass(frozen=True, kw_only=True)
class RecordDeemedContribution(Command):
    months: int  # 视同缴费年限 before the region's employee scheme began


@dataclass(frozen=True, kw_only=True)
class PayRetirementShortfall(Command):
    months: int
    employer_amount: Fen
    employee_amount: Fen
    paid_on: date


@dataclass(frozen=True, kw_only=True)
class Retire(Command):
    retired_on: date


@dataclass(frozen=True, kw_only=True)
class RecordFundPaymentYear(Command):
    """Whether the funds have paid anything for the person in a settlement year, now that `claim_id`
    was settled or cancelled (fed by the service's register of settled claims: only when it changes)."""

    settlement_year: int
    paid: bool
    claim_id: str


@dataclass(frozen=True, kw_only=True)
class ApplyForTransfer(Command):
    transfer_id: str
    to_region: str
    applied_on: date


@dataclass(frozen=True, kw_only=True)
class RequestTransfer(Command):
    transfer_id: str
    requested_on: date


@dataclass(frozen=True, kw_only=True)
class CompleteTransfer(Command):
    transfer_id: str
    effective_on: date


@dataclass(frozen=True, kw_only=True)
class CancelTransfer(Command):
    transfer_id: str


@dataclass(frozen=True, kw_only=True)
class FileCrossRegionTreatment(Command):
    filing_id: str
    kind: FilingKind
    treatment_area: str
    filed_on: date
    valid_from: date | None = None  # default: filed_on; for an emergency, the admission date
    valid_until: date | None = None  # default by kind (see filings.DEFAULT_VALIDITY_MONTHS)
    discharge_settled_on: date | None = None  # emergency: settlement's record of the discharge


@dataclass(frozen=True, kw_only=True)
class CancelFiling(Command):
    filing_id: str
    cancelled_on: date


@dataclass(frozen=True, kw_only=True)
class ApproveChronicDisease(Command):
    disease_code: str
    valid_from: date
    valid_until: date | None = None


@dataclass(frozen=True, kw_only=True)
class RevokeChronicApproval(Command):
    disease_code: str
    revoked_on: date


@dataclass(frozen=True, kw_only=True)
class DesignateSpecialDrug(Command):
    drug_code: str
    hospital_codes: tuple[str, ...]
    pharmacy_codes: tuple[str, ...]
    doctor_code: str
    valid_from: date


@dataclass(frozen=True, kw_only=True)
class EndSpecialDrugDesignation(Command):
    drug_code: str
    ends_on: date  # the last valid day
