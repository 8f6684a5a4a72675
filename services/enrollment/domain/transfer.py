"""转移接续 in three steps (source 003): apply at the new region, the new region sends the old one a contact
letter, the old region transfers. Coverage continues without a gap: the old region's last day is the day
before `effective_on`, the new region's first day is `effective_on`.
"""

from __future__ import annotations

from datetime import date

from services.enrollment.domain.commands import ApplyForTransfer, CancelTransfer, CompleteTransfer, RequestTransfer
from services.enrollment.domain.coverage import BASIC_SCHEMES
from services.enrollment.domain.errors import (
    TransferInProgress,
    TransferNotFound,
    TransferNotInsured,
    TransferOutOfOrder,
    TransferSameRegion,
)
from services.enrollment.domain.events import (
    Event,
    TransferApplied,
    TransferCancelled,
    TransferCompleted,
    TransferRequested,
)
from services.enrollment.domain.policy import PolicyBook
from services.enrollment.domain.registration import check_region_code
from services.enrollment.domain.state import PersonState, Transfer, TransferStep

NEXT_STEP = {
    TransferStep.APPLIED: "the new region sends the contact letter (step 2)",
    TransferStep.REQUESTED: "the old region completes the transfer (step 3)",
    TransferStep.COMPLETED: "nothing: the transfer is complete",
    TransferStep.CANCELLED: "nothing: the transfer was cancelled",
}


def apply_for_transfer(state: PersonState, cmd: ApplyForTransfer, policy: PolicyBook) -> tuple[Event, ...]:
    """Step 1, at the new region, with the person's 参保凭证."""
    check_region_code(cmd.to_region)
    if cmd.to_region == state.insured_region:
        raise TransferSameRegion(f"Person {state.psn_no} is already insured in region {cmd.to_region}; no transfer is needed.")
    pending = next((t for t in state.transfers if t.in_progress or t.transfer_id == cmd.transfer_id), None)
    if pending is not None:
        raise TransferInProgress(
            f"Transfer {pending.transfer_id} to region {pending.to_region} is {pending.step.value}; "
            "finish or cancel it before applying again."
        )
    _check_insured(state, cmd.applied_on)
    return (TransferApplied(
        command_id=cmd.command_id, psn_no=state.psn_no, transfer_id=cmd.transfer_id,
        from_region=state.insured_region, to_region=cmd.to_region, applied_on=cmd.applied_on,
    ),)


def request_transfer(state: PersonState, cmd: RequestTransfer, policy: PolicyBook) -> tuple[Event, ...]:
    """Step 2: the new region's contact letter (联系函) to the old region."""
    _check_step(_find(state, cmd.transfer_id), TransferStep.APPLIED)
    return (TransferRequested(command_id=cmd.command_id, psn_no=state.psn_no, transfer_id=cmd.transfer_id, requested_on=cmd.requested_on),)


def complete_transfer(state: PersonState, cmd: CompleteTransfer, policy: PolicyBook) -> tuple[Event, ...]:
    """Step 3: the old region transfers; coverage carries on in the new region from `effective_on`."""
    transfer = _find(state, cmd.transfer_id)
    _check_step(transfer, TransferStep.REQUESTED)
    if cmd.effective_on < transfer.applied_on:
        raise TransferOutOfOrder(
            f"Transfer {transfer.transfer_id} cannot take effect on {cmd.effective_on.isoformat()}, "
            f"before it was applied for on {transfer.applied_on.isoformat()}."
        )
    _check_insured(state, cmd.effective_on)
    return (TransferCompleted(command_id=cmd.command_id, psn_no=state.psn_no, transfer_id=cmd.transfer_id, effective_on=cmd.effective_on),)


def cancel_transfer(state: PersonState, cmd: CancelTransfer, policy: PolicyBook) -> tuple[Event, ...]:
    transfer = _find(state, cmd.transfer_id)
    if not transfer.in_progress:
        raise TransferOutOfOrder(f"Transfer {transfer.transfer_id} is {transfer.step.value} and can no longer be cancelled.")
    return (TransferCancelled(command_id=cmd.command_id, psn_no=state.psn_no, transfer_id=cmd.transfer_id),)


def _find(state: PersonState, transfer_id: str) -> Transfer:
    transfer = next((t for t in state.transfers if t.transfer_id == transfer_id), None)
    if transfer is None:
        raise TransferNotFound(f"No transfer {transfer_id} exists for person {state.psn_no}; start with the application at the new region.")
    return transfer


def _check_step(transfer: Transfer, expected: TransferStep) -> None:
    if transfer.step is not expected:
        raise TransferOutOfOrder(
            f"Transfer {transfer.transfer_id} is {transfer.step.value}; the next step is {NEXT_STEP[transfer.step]}."
        )


def _check_insured(state: PersonState, day: date) -> None:
    if not any(state.covered_on(day, scheme) for scheme in BASIC_SCHEMES):
        raise TransferNotInsured(
            f"Person {state.psn_no} has no basic coverage on {day.isoformat()}; enroll in the new region instead of transferring."
        )
