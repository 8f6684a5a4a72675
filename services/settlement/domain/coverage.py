"""The insured person as settlement needs them: a projection of enrollment's `CoverageChanged`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any


def _within(day: date, start: date | None, end: date | None) -> bool:
    return (start is None or start <= day) and (end is None or day <= end)


@dataclass(frozen=True)
class CrossRegionFiling:
    """异地就医备案: the person may settle directly in `treatment_region` between the two dates.

    A province-wide filing is written as the 2-digit province prefix ("37") or as the province's
    code ("370000"); it covers every region of that province.
    """

    treatment_region: str
    valid_from: date
    valid_to: date | None = None

    def covers(self, region: str, on: date) -> bool:
        province_wide = len(self.treatment_region) == 2 or self.treatment_region.endswith("0000")
        in_region = region[:2] == self.treatment_region[:2] if province_wide else region == self.treatment_region
        return in_region and _within(on, self.valid_from, self.valid_to)


@dataclass(frozen=True)
class ChronicApproval:
    """门慢门特 approval (备案) of one disease for the person, valid between two dates."""

    opsp_dise_code: str
    valid_from: date
    valid_to: date | None = None


@dataclass(frozen=True)
class SpecialDrugDesignation:
    """三定 for one dual-channel drug: the hospital and/or pharmacy, and the doctor if one is fixed,
    between two dates (a change of pharmacy ends one designation and starts another)."""

    med_list_codg: str
    fixmedins_codes: frozenset[str]
    bilg_dr_codg: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None

    def valid_on(self, day: date) -> bool:
        return _within(day, self.valid_from, self.valid_to)


@dataclass(frozen=True)
class Coverage:
    """The person's insurance as enrollment last reported it."""

    psn_no: str
    insutype: str
    insured_region: str
    active: bool = True
    covered_from: date | None = None
    covered_to: date | None = None
    # 待遇等待期: the last day without benefits; benefits start the day after.
    waiting_until: date | None = None
    retired: bool = False
    # Medical-assistance group as enrollment names it ("extreme_hardship", "minimum_income"…); None: none.
    hardship_group: str | None = None
    continuous_years: int = 0
    no_claim_years: int = 0
    chronic_approvals: tuple[ChronicApproval, ...] = ()
    special_drugs: tuple[SpecialDrugDesignation, ...] = ()
    filings: tuple[CrossRegionFiling, ...] = ()

    def is_covered_on(self, day: date) -> bool:
        return self.active and _within(day, self.covered_from, self.covered_to)

    def in_waiting_period_on(self, day: date) -> bool:
        return self.waiting_until is not None and day <= self.waiting_until

    def has_chronic_approval(self, disease_code: str, on: date) -> bool:
        return any(
            a.opsp_dise_code == disease_code and _within(on, a.valid_from, a.valid_to) for a in self.chronic_approvals
        )

    def designations_for(self, med_list_codg: str, on: date) -> tuple[SpecialDrugDesignation, ...]:
        """Every designation of the drug valid on the day (a person may hold several)."""
        return tuple(d for d in self.special_drugs if d.med_list_codg == med_list_codg and d.valid_on(on))

    def has_filing_for(self, region: str, on: date) -> bool:
        return any(f.covers(region, on) for f in self.filings)


def coverage_from_message(message: Any) -> Coverage:
    """Build a `Coverage` from anything shaped like enrollment's `CoverageChanged` (read by attribute)."""
    return Coverage(
        psn_no=message.psn_no,
        insutype=message.insutype,
        insured_region=message.insuplc_admdvs,
        active=message.active,
        covered_from=message.coverage_begin,
        covered_to=message.coverage_end,
        waiting_until=message.waiting_until,
        retired=message.retired,
        hardship_group=None if message.hardship_group == "none" else message.hardship_group,
        continuous_years=message.continuous_years,
        no_claim_years=message.no_claim_years,
        chronic_approvals=tuple(
            ChronicApproval(a.opsp_dise_code, a.begndate, a.enddate) for a in message.chronic_approvals
        ),
        special_drugs=tuple(
            SpecialDrugDesignation(d.med_list_codg, frozenset(d.fixmedins_codes), d.bilg_dr_codg, d.begndate, d.enddate)
            for d in message.special_drugs
        ),
        filings=tuple(CrossRegionFiling(f.mdtrtarea_admvs, f.begndate, f.enddate) for f in message.filings),
    )
