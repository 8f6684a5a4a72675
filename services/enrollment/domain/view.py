"""What settlement needs to know about a person on a day: one flat, frozen, serialisable snapshot.

The service layer publishes it as `CoverageChanged` (libs.contracts.enrollment) after every change.
Approvals, designations and filings are listed when valid on `on` or later, each with its own dates,
so a projection holding the snapshot stays right until they expire.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from services.enrollment.domain.coverage import BASIC_SCHEMES, chain_around, continuous_years, no_claim_years
from services.enrollment.domain.dates import whole_years
from services.enrollment.domain.state import (
    ChronicApproval,
    CoveragePeriod,
    CrossRegionFiling,
    PersonState,
    SpecialDrugDesignation,
)
from services.enrollment.domain.vocabulary import EmploymentStatus, HardshipGroup, Scheme, Sex


@dataclass(frozen=True)
class CoverageView:
    psn_no: str
    on: date
    version: int  # rises with every recorded event; a projection ignores an older snapshot
    scheme: Scheme  # the basic scheme held (employee before resident if both), else the last or next one
    insured_region: str
    sex: Sex
    age: int
    active: bool  # basic coverage on `on` (benefits may still be in a waiting period)
    maternity: bool  # maternity insurance (510) on `on`
    coverage_begins_on: date | None  # the unbroken stretch of coverage around `on`
    coverage_ends_on: date | None  # inclusive; None while open-ended
    waiting_until: date | None  # last day of the waiting period; benefits from the day after
    retired: bool
    employment_status: EmploymentStatus
    hardship_group: HardshipGroup
    continuous_years: int  # resident scheme, including `on`'s year
    no_claim_years: int
    chronic_approvals: tuple[ChronicApproval, ...]
    special_drugs: tuple[SpecialDrugDesignation, ...]
    filings: tuple[CrossRegionFiling, ...]  # cancellations folded into valid_until
    relatives: tuple[str, ...]  # psn_no of linked near relatives


def coverage_view(state: PersonState, on: date) -> CoverageView:
    chain, active = _basic_chain(state, on)
    current = next((p for p in chain if p.covers(on)), None)
    waits = [p.waiting_until for p in chain if p.waiting_until is not None]
    return CoverageView(
        psn_no=state.psn_no,
        on=on,
        version=state.version,
        scheme=chain[0].scheme if chain else state.registered_scheme,
        insured_region=current.region if current else state.insured_region,
        sex=state.sex,
        age=whole_years(state.birth_date, on),
        active=active,
        maternity=state.covered_on(on, Scheme.MATERNITY) is not None,
        coverage_begins_on=chain[0].starts_on if chain else None,
        coverage_ends_on=chain[-1].ends_on if chain else None,
        waiting_until=max(waits) if waits else None,
        retired=state.retired_on is not None and state.retired_on <= on,
        employment_status=state.employment_status,
        hardship_group=state.hardship_group,
        continuous_years=continuous_years(state, on),
        no_claim_years=no_claim_years(state, on),
        chronic_approvals=tuple(a for a in state.chronic_approvals if _not_over(a.valid_from, a.valid_until, on)),
        special_drugs=tuple(d for d in state.special_drugs if _not_over(d.valid_from, d.valid_until, on)),
        filings=tuple(
            replace(f, valid_until=f.last_valid_day, cancelled_on=None)
            for f in state.filings
            if _not_over(f.valid_from, f.last_valid_day, on)
        ),
        relatives=tuple(r.psn_no for r in state.relatives),
    )


def _basic_chain(state: PersonState, on: date) -> tuple[list[CoveragePeriod], bool]:
    """The chain covering `on` (employee first); otherwise the next one to start, else the last one."""
    for scheme in BASIC_SCHEMES:
        chain = chain_around(state.periods(scheme), on)
        if chain:
            return chain, True
    periods = state.periods(*BASIC_SCHEMES)
    upcoming = [p for p in periods if p.starts_on > on]
    pick = upcoming[0] if upcoming else (periods[-1] if periods else None)
    if pick is None:
        return [], False
    return chain_around(state.periods(pick.scheme), pick.starts_on), False


def _not_over(valid_from: date, valid_until: date | None, on: date) -> bool:
    return valid_until is None or (valid_until >= on and valid_until >= valid_from)
