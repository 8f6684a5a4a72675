"""What the enrollment office knows about one insured person: immutable records, replaced on change."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from libs.money import Fen
from services.enrollment.domain.dates import ONE_DAY, overlaps, within
from services.enrollment.domain.vocabulary import (
    ContributionSource,
    EmploymentStatus,
    EnrollmentKind,
    HardshipGroup,
    Relation,
    Scheme,
    Sex,
)


@dataclass(frozen=True)
class Relative:
    psn_no: str
    relation: Relation


@dataclass(frozen=True)
class CoveragePeriod:
    scheme: Scheme
    region: str
    starts_on: date
    ends_on: date | None  # inclusive; open-ended for the employee and maternity schemes
    kind: EnrollmentKind
    waiting_until: date | None = None  # last day of the waiting period; benefits from the day after

    def covers(self, day: date) -> bool:
        return within(day, self.starts_on, self.ends_on)

    def overlaps(self, other: CoveragePeriod) -> bool:
        return overlaps(self.starts_on, self.ends_on, other.starts_on, other.ends_on)


@dataclass(frozen=True)
class Contribution:
    scheme: Scheme
    coverage_year: int
    source: ContributionSource
    amount: Fen
    paid_on: date
    years: int = 1  # coverage years paid at once (a student's whole study period)
    month: int | None = None  # employee scheme: the contribution month
    payer_psn_no: str | None = None  # mutual aid: the relative whose account paid
    reference: str | None = None  # mutual aid: the wallet's payment id


@dataclass(frozen=True)
class Reimbursement:
    """One settled claim, as recorded in the person's stream before 2026-11 (read only now)."""

    claim_id: str
    settlement_year: int
    fund_paid: Fen


class FilingKind(StrEnum):
    LONG_TERM_RESIDENCE = "long_term_residence"  # 异地长期居住
    TEMPORARY = "temporary"  # 临时外出就医
    REFERRAL = "referral"  # 转诊转院
    EMERGENCY = "emergency"  # 急诊抢救, filed after admission, before discharge settlement


@dataclass(frozen=True)
class CrossRegionFiling:
    filing_id: str
    kind: FilingKind
    treatment_area: str  # 6-digit region, or 2-digit province for the whole province
    valid_from: date
    valid_until: date | None  # inclusive; open until cancelled
    cancelled_on: date | None = None  # no longer valid from this day

    @property
    def last_valid_day(self) -> date | None:
        if self.cancelled_on is None:
            return self.valid_until
        cancelled = self.cancelled_on - ONE_DAY
        return cancelled if self.valid_until is None else min(cancelled, self.valid_until)

    def valid_on(self, day: date) -> bool:
        return within(day, self.valid_from, self.last_valid_day)


@dataclass(frozen=True)
class ChronicApproval:
    disease_code: str  # 门慢门特病种代码
    valid_from: date
    valid_until: date | None

    def valid_on(self, day: date) -> bool:
        return within(day, self.valid_from, self.valid_until)


@dataclass(frozen=True)
class SpecialDrugDesignation:
    """三定: the drug is bought at these hospitals or pharmacies, prescribed by this doctor."""

    drug_code: str  # 医疗目录编码 of the dual-channel drug
    hospital_codes: tuple[str, ...]
    pharmacy_codes: tuple[str, ...]
    doctor_code: str
    valid_from: date
    valid_until: date | None = None

    def valid_on(self, day: date) -> bool:
        return within(day, self.valid_from, self.valid_until)


class TransferStep(StrEnum):
    APPLIED = "applied"  # 1. applied at the new region
    REQUESTED = "requested"  # 2. the new region sent the contact letter to the old one
    COMPLETED = "completed"  # 3. the old region transferred
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Transfer:
    transfer_id: str
    from_region: str
    to_region: str
    step: TransferStep
    applied_on: date
    effective_on: date | None = None

    @property
    def in_progress(self) -> bool:
        return self.step in (TransferStep.APPLIED, TransferStep.REQUESTED)


@dataclass(frozen=True)
class PersonState:
    psn_no: str
    id_number: str = field(repr=False)  # never in logs; see libs.masking
    name: str = field(repr=False)
    sex: Sex
    birth_date: date
    insured_region: str  # changes only by a completed transfer
    registered_scheme: Scheme  # as declared at registration; coverage periods say what is held
    employment_status: EmploymentStatus
    hardship_group: HardshipGroup
    relatives: tuple[Relative, ...] = ()
    coverage: tuple[CoveragePeriod, ...] = ()
    contributions: tuple[Contribution, ...] = ()
    deemed_months: int = 0  # 视同缴费年限, in months
    shortfall_paid_months: int = 0  # one-off payment of the missing years
    retired_on: date | None = None
    fund_paid_years: frozenset[int] = frozenset()  # settlement years in which the funds paid something
    reimbursements: tuple[Reimbursement, ...] = ()  # streams written before 2026-11: one per claim
    filings: tuple[CrossRegionFiling, ...] = ()
    chronic_approvals: tuple[ChronicApproval, ...] = ()
    special_drugs: tuple[SpecialDrugDesignation, ...] = ()
    transfers: tuple[Transfer, ...] = ()
    handled_commands: frozenset[str] = frozenset()
    version: int = 0

    def relative(self, psn_no: str) -> Relative | None:
        return next((r for r in self.relatives if r.psn_no == psn_no), None)

    def periods(self, *schemes: Scheme) -> list[CoveragePeriod]:
        return sorted((p for p in self.coverage if p.scheme in schemes), key=lambda p: p.starts_on)

    def covered_on(self, day: date, scheme: Scheme) -> CoveragePeriod | None:
        return next((p for p in self.coverage if p.scheme is scheme and p.covers(day)), None)

    @property
    def actual_contribution_months(self) -> int:
        """实际缴费年限 in months: distinct employee-scheme months paid, plus any one-off back payment."""
        months = {(c.coverage_year, c.month) for c in self.contributions if c.scheme is Scheme.EMPLOYEE and c.month}
        return len(months) + self.shortfall_paid_months

    def years_with_fund_payment(self) -> frozenset[int]:
        """Settlement years in which the funds paid something for the person (older streams: their
        per-claim reimbursements count too)."""
        if not self.reimbursements:
            return self.fund_paid_years
        paid: dict[int, Fen] = {}
        for r in self.reimbursements:
            paid[r.settlement_year] = paid.get(r.settlement_year, 0) + r.fund_paid
        return self.fund_paid_years | {year for year, fen in paid.items() if fen > 0}
