"""Facts the person aggregate recorded. The service layer stores and publishes them; the domain never does.

`PersonRegistered` carries the ID number and name: it stays inside the enrollment service. What other
services see is the `CoverageView` snapshot (published as `CoverageChanged`), which carries neither.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from libs.money import Fen
from services.enrollment.domain.state import (
    ChronicApproval,
    Contribution,
    CoveragePeriod,
    CrossRegionFiling,
    Reimbursement,
    SpecialDrugDesignation,
)
from services.enrollment.domain.vocabulary import EmploymentStatus, HardshipGroup, Relation, Scheme, Sex


@dataclass(frozen=True, kw_only=True)
class Event:
    command_id: str  # the command that caused it (causation)
    psn_no: str


@dataclass(frozen=True, kw_only=True)
class PersonRegistered(Event):
    id_number: str = field(repr=False)  # never in logs; see libs.masking
    name: str = field(repr=False)
    sex: Sex
    birth_date: date
    insured_region: str
    scheme: Scheme
    employment_status: EmploymentStatus
    hardship_group: HardshipGroup
    registered_on: date


@dataclass(frozen=True, kw_only=True)
class RelativeLinked(Event):
    relative_psn_no: str
    relation: Relation


@dataclass(frozen=True, kw_only=True)
class RelativeUnlinked(Event):
    relative_psn_no: str


@dataclass(frozen=True, kw_only=True)
class HardshipGroupChanged(Event):
    hardship_group: HardshipGroup
    effective_on: date


@dataclass(frozen=True, kw_only=True)
class ContributionRecorded(Event):
    contribution: Contribution


@dataclass(frozen=True, kw_only=True)
class CoverageStarted(Event):
    period: CoveragePeriod


@dataclass(frozen=True, kw_only=True)
class CoverageEnded(Event):
    scheme: Scheme
    ends_on: date


@dataclass(frozen=True, kw_only=True)
class EmploymentStatusChanged(Event):
    employment_status: EmploymentStatus


@dataclass(frozen=True, kw_only=True)
class DeemedContributionRecorded(Event):
    months: int


@dataclass(frozen=True, kw_only=True)
class RetirementShortfallPaid(Event):
    months: int
    amount: Fen


@dataclass(frozen=True, kw_only=True)
class PersonRetired(Event):
    retired_on: date


@dataclass(frozen=True, kw_only=True)
class FundPaymentYearChanged(Event):
    """The funds paid something in `settlement_year` (`paid`), or no longer do: what the no-claim-year
    incentive counts. `claim_id` is the settled or cancelled claim that changed it."""

    settlement_year: int
    paid: bool
    claim_id: str


@dataclass(frozen=True, kw_only=True)
class ReimbursementRecorded(Event):
    """Written before 2026-11 (one per settled claim); read only. See FundPaymentYearChanged."""

    reimbursement: Reimbursement


@dataclass(frozen=True, kw_only=True)
class ReimbursementCancelled(Event):
    """Written before 2026-11; read only."""

    claim_id: str


@dataclass(frozen=True, kw_only=True)
class TransferApplied(Event):
    transfer_id: str
    from_region: str
    to_region: str
    applied_on: date


@dataclass(frozen=True, kw_only=True)
class TransferRequested(Event):
    transfer_id: str
    requested_on: date


@dataclass(frozen=True, kw_only=True)
class TransferCompleted(Event):
    """Coverage moved to the new region from `effective_on`; the day before is the old region's last."""

    transfer_id: str
    effective_on: date


@dataclass(frozen=True, kw_only=True)
class TransferCancelled(Event):
    transfer_id: str


@dataclass(frozen=True, kw_only=True)
class CrossRegionFiled(Event):
    filing: CrossRegionFiling


@dataclass(frozen=True, kw_only=True)
class CrossRegionFilingCancelled(Event):
    filing_id: str
    cancelled_on: date


@dataclass(frozen=True, kw_only=True)
class ChronicDiseaseApproved(Event):
    approval: ChronicApproval


@dataclass(frozen=True, kw_only=True)
class ChronicApprovalRevoked(Event):
    disease_code: str
    revoked_on: date


@dataclass(frozen=True, kw_only=True)
class SpecialDrugDesignated(Event):
    designation: SpecialDrugDesignation


@dataclass(frozen=True, kw_only=True)
class SpecialDrugDesignationEnded(Event):
    drug_code: str
    ends_on: date  # the last valid day
