"""异地就医备案: filings that let every networked hospital in the filed area settle directly.

Validity defaults (sources 001, 003 are silent on durations; assumed, overridable per filing):
long-term residence until cancelled; temporary, referral and emergency 6 months from `valid_from`.
An emergency admission is filed after the fact, from the admission date, but before discharge settlement.
"""

from __future__ import annotations

from services.enrollment.domain.commands import CancelFiling, FileCrossRegionTreatment
from services.enrollment.domain.dates import ONE_DAY, add_months, overlaps
from services.enrollment.domain.errors import (
    EmergencyFilingAfterDischarge,
    FilingAlreadyCancelled,
    FilingBackdated,
    FilingExpired,
    FilingInsuredRegion,
    FilingNotFound,
    FilingNumberInUse,
    FilingOverlap,
    InvalidRegionCode,
    InvalidValidity,
)
from services.enrollment.domain.events import CrossRegionFiled, CrossRegionFilingCancelled, Event
from services.enrollment.domain.policy import PolicyBook
from services.enrollment.domain.state import CrossRegionFiling, FilingKind, PersonState
from services.enrollment.domain.vocabulary import area_contains, areas_overlap, is_treatment_area

DEFAULT_VALIDITY_MONTHS: dict[FilingKind, int | None] = {
    FilingKind.LONG_TERM_RESIDENCE: None,
    FilingKind.TEMPORARY: 6,
    FilingKind.REFERRAL: 6,
    FilingKind.EMERGENCY: 6,
}


def file_cross_region_treatment(state: PersonState, cmd: FileCrossRegionTreatment, policy: PolicyBook) -> tuple[Event, ...]:
    if not is_treatment_area(cmd.treatment_area):
        raise InvalidRegionCode(f"{cmd.treatment_area!r} is neither a 6-digit region nor a 2-digit province code.")
    if area_contains(cmd.treatment_area, state.insured_region):
        raise FilingInsuredRegion(
            f"Area {cmd.treatment_area} includes the insured region {state.insured_region}; "
            "treatment there needs no cross-region filing."
        )
    if any(f.filing_id == cmd.filing_id for f in state.filings):
        raise FilingNumberInUse(f"Filing number {cmd.filing_id} is already used for person {state.psn_no}; issue a new number.")
    filing = _new_filing(cmd)
    for other in state.filings:
        if _clash(filing, other):
            raise FilingOverlap(
                f"Filing {other.filing_id} ({other.kind.value}, area {other.treatment_area}) is already valid over "
                "part of this period; cancel it or choose dates after it ends."
            )
    return (CrossRegionFiled(command_id=cmd.command_id, psn_no=state.psn_no, filing=filing),)


def cancel_filing(state: PersonState, cmd: CancelFiling, policy: PolicyBook) -> tuple[Event, ...]:
    """Cancellation takes effect on `cancelled_on`; an expired filing has nothing left to cancel."""
    filing = next((f for f in state.filings if f.filing_id == cmd.filing_id), None)
    if filing is None:
        raise FilingNotFound(f"No filing {cmd.filing_id} exists for person {state.psn_no}.")
    if filing.cancelled_on is not None:
        raise FilingAlreadyCancelled(f"Filing {cmd.filing_id} was cancelled on {filing.cancelled_on.isoformat()}.")
    last_day = filing.last_valid_day
    if last_day is not None and last_day < cmd.cancelled_on:
        raise FilingExpired(f"Filing {cmd.filing_id} expired on {last_day.isoformat()}; there is nothing to cancel.")
    return (CrossRegionFilingCancelled(command_id=cmd.command_id, psn_no=state.psn_no, filing_id=cmd.filing_id,
                                       cancelled_on=cmd.cancelled_on),)


def _new_filing(cmd: FileCrossRegionTreatment) -> CrossRegionFiling:
    if cmd.kind is FilingKind.EMERGENCY:
        if cmd.valid_from is None:
            raise InvalidValidity("An emergency filing starts on the admission date; enter it as valid_from.")
        if cmd.discharge_settled_on is not None:
            raise EmergencyFilingAfterDischarge(
                f"The discharge was settled on {cmd.discharge_settled_on.isoformat()}; an emergency filing must be made "
                "before discharge settlement. Reimburse the bill manually (零星报销) instead."
            )
        if cmd.valid_from > cmd.filed_on:
            raise InvalidValidity("An emergency filing is made after admission; the admission date cannot lie after the filing date.")
    elif cmd.valid_from is not None and cmd.valid_from < cmd.filed_on:
        raise FilingBackdated(
            f"Only an emergency admission may be filed after the fact; a {cmd.kind.value} filing starts on or after "
            f"the filing date {cmd.filed_on.isoformat()}."
        )
    valid_from = cmd.valid_from or cmd.filed_on
    months = DEFAULT_VALIDITY_MONTHS[cmd.kind]
    valid_until = cmd.valid_until or (add_months(valid_from, months) - ONE_DAY if months else None)
    if valid_until is not None and valid_until < valid_from:
        raise InvalidValidity(f"A filing cannot end ({valid_until.isoformat()}) before it starts ({valid_from.isoformat()}).")
    return CrossRegionFiling(cmd.filing_id, cmd.kind, cmd.treatment_area, valid_from, valid_until)


def _clash(new: CrossRegionFiling, other: CrossRegionFiling) -> bool:
    """Same area twice at once, or two places of long-term residence at once."""
    if not overlaps(new.valid_from, new.valid_until, other.valid_from, other.last_valid_day):
        return False
    both_residences = new.kind is other.kind is FilingKind.LONG_TERM_RESIDENCE
    return both_residences or areas_overlap(new.treatment_area, other.treatment_area)
