"""How each recorded fact changes the person's state; replaying every event rebuilds the aggregate."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from services.enrollment.domain import events as e
from services.enrollment.domain.dates import ONE_DAY
from services.enrollment.domain.state import CoveragePeriod, PersonState, Relative, Transfer, TransferStep


def registered(event: e.PersonRegistered) -> PersonState:
    return PersonState(
        psn_no=event.psn_no, id_number=event.id_number, name=event.name, sex=event.sex, birth_date=event.birth_date,
        insured_region=event.insured_region, registered_scheme=event.scheme, employment_status=event.employment_status,
        hardship_group=event.hardship_group, handled_commands=frozenset({event.command_id}), version=1,
    )


def evolve(state: PersonState, event: e.Event) -> PersonState:
    # One replace per event: building a PersonState is most of what a replay costs.
    return replace(state, handled_commands=state.handled_commands | {event.command_id}, version=state.version + 1,
                   **_changes(state, event))


def _changes(state: PersonState, event: e.Event) -> dict[str, Any]:
    """The fields `event` changes, besides the handled commands and the version."""
    match event:
        case e.RelativeLinked():
            return dict(relatives=(*state.relatives, Relative(event.relative_psn_no, event.relation)))
        case e.RelativeUnlinked():
            return dict(relatives=tuple(r for r in state.relatives if r.psn_no != event.relative_psn_no))
        case e.HardshipGroupChanged():
            return dict(hardship_group=event.hardship_group)
        case e.ContributionRecorded():
            return dict(contributions=(*state.contributions, event.contribution))
        case e.CoverageStarted():
            return dict(coverage=(*state.coverage, event.period))
        case e.CoverageEnded():
            return dict(coverage=tuple(
                replace(p, ends_on=event.ends_on) if p.scheme is event.scheme and p.ends_on is None else p for p in state.coverage
            ))
        case e.EmploymentStatusChanged():
            return dict(employment_status=event.employment_status)
        case e.DeemedContributionRecorded():
            return dict(deemed_months=state.deemed_months + event.months)
        case e.RetirementShortfallPaid():
            return dict(shortfall_paid_months=state.shortfall_paid_months + event.months)
        case e.PersonRetired():
            return dict(retired_on=event.retired_on)
        case e.FundPaymentYearChanged():
            # The year's status replaces whatever an older stream's per-claim records said of it.
            year = {event.settlement_year}
            years = (state.fund_paid_years | year) if event.paid else (state.fund_paid_years - year)
            return dict(fund_paid_years=years, reimbursements=tuple(
                r for r in state.reimbursements if r.settlement_year != event.settlement_year))
        case e.ReimbursementRecorded():
            return dict(reimbursements=(*state.reimbursements, event.reimbursement))
        case e.ReimbursementCancelled():
            return dict(reimbursements=tuple(r for r in state.reimbursements if r.claim_id != event.claim_id))
        case e.TransferApplied():
            transfer = Transfer(event.transfer_id, event.from_region, event.to_region, TransferStep.APPLIED, event.applied_on)
            return dict(transfers=(*state.transfers, transfer))
        case e.TransferRequested():
            return _step(state, event.transfer_id, TransferStep.REQUESTED)
        case e.TransferCompleted():
            return _complete_transfer(state, event.transfer_id, event.effective_on)
        case e.TransferCancelled():
            return _step(state, event.transfer_id, TransferStep.CANCELLED)
        case e.CrossRegionFiled():
            return dict(filings=(*state.filings, event.filing))
        case e.CrossRegionFilingCancelled():
            return dict(filings=tuple(
                replace(f, cancelled_on=event.cancelled_on) if f.filing_id == event.filing_id else f for f in state.filings
            ))
        case e.ChronicDiseaseApproved():
            return dict(chronic_approvals=(*state.chronic_approvals, event.approval))
        case e.ChronicApprovalRevoked():
            last_day = event.revoked_on - ONE_DAY
            return dict(chronic_approvals=tuple(
                replace(a, valid_until=last_day)
                if a.disease_code == event.disease_code and (a.valid_until is None or a.valid_until > last_day) else a
                for a in state.chronic_approvals
            ))
        case e.SpecialDrugDesignated():
            return dict(special_drugs=(*state.special_drugs, event.designation))
        case e.SpecialDrugDesignationEnded():
            return dict(special_drugs=tuple(
                replace(d, valid_until=event.ends_on)
                if d.drug_code == event.drug_code and (d.valid_until is None or d.valid_until > event.ends_on) else d
                for d in state.special_drugs
            ))
    raise TypeError(f"no evolution for {type(event).__name__}")


def _step(state: PersonState, transfer_id: str, step: TransferStep, effective_on: date | None = None) -> dict[str, Any]:
    return dict(transfers=tuple(
        replace(t, step=step, effective_on=effective_on) if t.transfer_id == transfer_id else t for t in state.transfers
    ))


def _complete_transfer(state: PersonState, transfer_id: str, effective_on: date) -> dict[str, Any]:
    """Split every period of the old region at `effective_on`; later ones move whole to the new region."""
    transfer = next(t for t in state.transfers if t.transfer_id == transfer_id)
    moved: list[CoveragePeriod] = []
    for period in state.coverage:
        if period.region != transfer.from_region or (period.ends_on is not None and period.ends_on < effective_on):
            moved.append(period)
        elif period.starts_on >= effective_on:
            moved.append(replace(period, region=transfer.to_region))
        else:
            moved += [replace(period, ends_on=effective_on - ONE_DAY), replace(period, region=transfer.to_region, starts_on=effective_on)]
    return dict(coverage=tuple(moved), insured_region=transfer.to_region,
                **_step(state, transfer_id, TransferStep.COMPLETED, effective_on))
