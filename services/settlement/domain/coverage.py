"""The insured person as settlement needs them: a projection the enrollment service maintains."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class CrossRegionFiling:
    """异地就医备案: the person may settle directly in `treatment_region` between the two dates.

    A province-level filing (region code ending in 0000) covers every city of that province.
    """

    treatment_region: str
    valid_from: date
    valid_to: date | None = None

    def covers(self, region: str, on: date) -> bool:
        if self.treatment_region.endswith("0000"):
            in_region = region[:2] == self.treatment_region[:2]
        else:
            in_region = region == self.treatment_region
        in_time = self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)
        return in_region and in_time


@dataclass(frozen=True)
class SpecialDrugDesignation:
    """三定 for one dual-channel drug: the hospital and/or pharmacy and the doctor fixed in advance."""

    med_list_codg: str
    fixmedins_codes: frozenset[str]
    doctor_code: str


@dataclass(frozen=True)
class Coverage:
    """The person's insurance on the date of service (from the 1101 person query)."""

    psn_no: str
    insutype: str
    insured_region: str
    active: bool = True
    # 待遇等待期: services before this date are not reimbursed.
    waiting_until: date | None = None
    retired: bool = False
    # Medical-assistance group (e.g. "extreme_hardship", "low_income"), as named in the pack.
    hardship_group: str | None = None
    continuous_years: int = 0
    no_claim_years: int = 0
    approved_chronic_diseases: frozenset[str] = field(default_factory=frozenset)
    special_drugs: tuple[SpecialDrugDesignation, ...] = ()
    filings: tuple[CrossRegionFiling, ...] = ()

    def designation_for(self, med_list_codg: str) -> SpecialDrugDesignation | None:
        return next((d for d in self.special_drugs if d.med_list_codg == med_list_codg), None)

    def has_filing_for(self, region: str, on: date) -> bool:
        return any(f.covers(region, on) for f in self.filings)
