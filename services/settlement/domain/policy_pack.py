"""A policy pack: every parameter one pooling region sets for one scheme and settlement year.

Packs are data (YAML under `policy_packs/`, read by `pack_reader`); this module is their shape and
the questions the rules ask of them. Amounts are fen, ratios Decimal, as everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from libs.money import Fen

FUNDS = ("pooling", "critical_illness", "assistance", "maternity")


@dataclass(frozen=True)
class FundRatio:
    """The pooling fund's share of eligible costs; employee packs may favour retirees."""

    active: Decimal
    retired: Decimal

    def for_person(self, retired: bool) -> Decimal:
        return self.retired if retired else self.active


@dataclass(frozen=True)
class InpatientDeductible:
    by_level: Mapping[str, Fen]
    repeat_admission_ratio: Decimal  # share of the deductible due from the 2nd admission of a year
    yearly_cap: Fen  # all inpatient deductibles of a year together


@dataclass(frozen=True)
class OutpatientPooling:
    deductible: Fen  # per year
    per_day_cap: Fen | None
    annual_cap: Fen  # does not carry over: the "clearing" at year end


@dataclass(frozen=True)
class ChronicGroup:
    name: str
    deductible: Fen  # per year
    ratio: Decimal


@dataclass(frozen=True)
class ChronicDisease:
    code: str
    name: str
    group: str


@dataclass(frozen=True)
class ChronicCare:
    approval_required: bool
    groups: Mapping[str, ChronicGroup]
    diseases: Mapping[str, ChronicDisease]

    def group_of(self, disease_code: str) -> ChronicGroup | None:
        disease = self.diseases.get(disease_code)
        return self.groups[disease.group] if disease else None


@dataclass(frozen=True)
class SpecialDrugs:
    ratio: Decimal  # the same at a designated hospital and a designated pharmacy (双通道)
    fixed_channel: bool  # 三定: patient, hospital or pharmacy, and doctor fixed in advance


@dataclass(frozen=True)
class Maternity:
    paid_by: str  # "pooling" (resident packs) or "maternity" (the maternity fund, employee packs)
    delivery_ratio: Decimal
    delivery_standard: Fen | None  # a fixed amount per delivery, or None: the ratio alone
    prenatal_ratio: Decimal
    prenatal_annual_cap: Fen


@dataclass(frozen=True)
class Tier:
    up_to: Fen | None  # upper bound of the year's counted costs for this ratio; None: no bound
    ratio: Decimal


@dataclass(frozen=True)
class CriticalIllness:
    basis: str  # "in_scope_copay" (resident 大病) or "above_pooling_cap" (employee 大额)
    threshold: Fen
    tiers: tuple[Tier, ...]
    annual_cap: Fen
    continuous_years_before_increment: int
    increment_per_continuous_year: Fen
    increment_per_no_claim_year: Fen
    increment_limit: Fen | None
    applies_to: frozenset[str]

    def increment(self, continuous_years: int, no_claim_years: int) -> Fen:
        """The continuous-enrolment incentive added to the annual cap."""
        extra_years = max(0, continuous_years - self.continuous_years_before_increment)
        total = (
            extra_years * self.increment_per_continuous_year
            + max(0, no_claim_years) * self.increment_per_no_claim_year
        )
        return total if self.increment_limit is None else min(total, self.increment_limit)


@dataclass(frozen=True)
class AssistanceGroup:
    name: str
    ratio: Decimal
    annual_cap: Fen


@dataclass(frozen=True)
class Assistance:
    applies_to: frozenset[str]
    groups: Mapping[str, AssistanceGroup]


@dataclass(frozen=True)
class Exclusions:
    work_injury: bool
    cosmetic: bool
    repeat_large_exam_within_days: int | None


@dataclass(frozen=True)
class PolicyPack:
    id: str
    name: str
    region: str
    insutype: str
    effective_from: date
    effective_to: date
    inpatient: InpatientDeductible
    fund_ratios: Mapping[str, Mapping[str, FundRatio]]  # care -> hospital level -> ratio
    pooling_annual_cap: Fen
    outpatient_pooling: OutpatientPooling
    chronic: ChronicCare
    special_drugs: SpecialDrugs
    maternity: Maternity
    critical_illness: CriticalIllness
    assistance: Assistance
    emergency_without_filing: bool
    exclusions: Exclusions
    # 零星报销: days from the end of care within which an office may still reimburse a bill; None: no limit.
    reimbursement_time_limit_days: int | None
    assumed: frozenset[str]
    sources: tuple[str, ...]

    def in_force_on(self, day: date) -> bool:
        return self.effective_from <= day <= self.effective_to

    def fund_ratio(self, care: str, hosp_lv: str, retired: bool) -> Decimal | None:
        """The pooling ratio for this care at this level; None when the pack grants none there."""
        ratio = self.fund_ratios.get(care, {}).get(hosp_lv)
        return None if ratio is None else ratio.for_person(retired)

    def is_assumed(self, path: str) -> bool:
        """Whether a parameter (or the section holding it) is an assumption, not from a source."""
        parts = path.split(".")
        return any(".".join(parts[:n]) in self.assumed for n in range(1, len(parts) + 1))

    def cite(self, path: str) -> str:
        """How an explanation names a parameter's origin: the pack, flagged when assumed."""
        return f"pack {self.id}" + (" (assumed value)" if self.is_assumed(path) else "")
