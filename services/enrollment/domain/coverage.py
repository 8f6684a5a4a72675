"""Coverage rules: no overlap within a scheme, interruptions, waiting periods, continuity, no-claim years.

Continuity is judged on gap-free chains of periods: a period continues the previous one when it starts
the day after it ends (a transfer splits a period in two without a gap, so it keeps the chain).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from services.enrollment.domain.dates import ONE_DAY, add_months, whole_years
from services.enrollment.domain.errors import CoverageOverlap
from services.enrollment.domain.policy import WaitingPeriodRules
from services.enrollment.domain.state import CoveragePeriod, PersonState
from services.enrollment.domain.vocabulary import Scheme

BASIC_SCHEMES = (Scheme.EMPLOYEE, Scheme.RESIDENT)


def describe(period: CoveragePeriod) -> str:
    until = period.ends_on.isoformat() if period.ends_on else "open-ended"
    return f"{period.scheme.name.lower()} coverage {period.starts_on.isoformat()} to {until} in region {period.region}"


def check_no_overlap(state: PersonState, period: CoveragePeriod) -> None:
    """One person holds at most one coverage of a scheme on any day."""
    for existing in state.periods(period.scheme):
        if existing.overlaps(period):
            raise CoverageOverlap(
                f"The requested {describe(period)} overlaps the existing {describe(existing)}; "
                "enroll only for days not yet covered."
            )


def interruption_years(state: PersonState, starts_on: date) -> int | None:
    """Years of interruption in basic coverage before `starts_on`; None if never insured before.

    The whole years of the gap, at least one: a gap of 9 months or of 23 months is one year, 24 months two.
    """
    earlier = [p for p in state.periods(*BASIC_SCHEMES) if p.starts_on < starts_on]
    if not earlier:
        return None
    ends = [p.ends_on for p in earlier]
    if None in ends:
        return 0
    gap_starts_on = max(e for e in ends if e is not None) + ONE_DAY
    if gap_starts_on >= starts_on:
        return 0
    return max(1, whole_years(gap_starts_on, starts_on))


def with_waiting_period(
    state: PersonState, period: CoveragePeriod, *, outside_payment_period: bool, rules: WaitingPeriodRules
) -> CoveragePeriod:
    """The period with its 待遇等待期: benefits start `months` after coverage starts."""
    months = rules.months(
        outside_payment_period=outside_payment_period,
        interruption_years=interruption_years(state, period.starts_on) or 0,
        coverage_year=period.starts_on.year,
    )
    if not months:
        return period
    return replace(period, waiting_until=add_months(period.starts_on, months) - ONE_DAY)


def _continues(earlier: CoveragePeriod, later: CoveragePeriod) -> bool:
    return earlier.ends_on is not None and earlier.ends_on + ONE_DAY == later.starts_on


def chain_around(periods: list[CoveragePeriod], day: date) -> list[CoveragePeriod]:
    """The gap-free chain of (sorted, non-overlapping) `periods` that covers `day`; empty if none does."""
    index = next((i for i, p in enumerate(periods) if p.covers(day)), None)
    if index is None:
        return []
    first = last = index
    while first > 0 and _continues(periods[first - 1], periods[first]):
        first -= 1
    while last + 1 < len(periods) and _continues(periods[last], periods[last + 1]):
        last += 1
    return periods[first : last + 1]


def continuous_years(state: PersonState, on: date) -> int:
    """Calendar years of unbroken resident coverage up to and including `on`'s year (连续参保年限)."""
    chain = chain_around(state.periods(Scheme.RESIDENT), on)
    return on.year - chain[0].starts_on.year + 1 if chain else 0


def no_claim_years(state: PersonState, on: date) -> int:
    """Years of the unbroken resident chain, before `on`'s year, in which the funds paid nothing.

    Each such year was followed by normal enrollment, because the chain continues past it.
    """
    chain = chain_around(state.periods(Scheme.RESIDENT), on)
    if not chain:
        return 0
    paid = state.years_with_fund_payment()
    return sum(1 for year in range(chain[0].starts_on.year, on.year) if year not in paid)
