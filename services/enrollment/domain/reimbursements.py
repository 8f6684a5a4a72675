"""Settled-claim facts from settlement, kept only to count no-claim years (零报销 incentive)."""

from __future__ import annotations

from services.enrollment.domain.commands import CancelReimbursement, RecordReimbursement
from services.enrollment.domain.errors import InvalidAmount, ReimbursementAlreadyRecorded, ReimbursementNotFound
from services.enrollment.domain.events import Event, ReimbursementCancelled, ReimbursementRecorded
from services.enrollment.domain.policy import PolicyBook
from services.enrollment.domain.state import PersonState, Reimbursement


def record_reimbursement(state: PersonState, cmd: RecordReimbursement, policy: PolicyBook) -> tuple[Event, ...]:
    """The settlement year is the year of `settled_on` (结算年度)."""
    if cmd.fund_paid < 0:
        raise InvalidAmount(f"Claim {cmd.claim_id} reports a negative fund payment; send the cancellation instead.")
    if any(r.claim_id == cmd.claim_id for r in state.reimbursements):
        raise ReimbursementAlreadyRecorded(f"Claim {cmd.claim_id} is already recorded for person {state.psn_no}.")
    reimbursement = Reimbursement(cmd.claim_id, cmd.settled_on.year, cmd.fund_paid)
    return (ReimbursementRecorded(command_id=cmd.command_id, psn_no=state.psn_no, reimbursement=reimbursement),)


def cancel_reimbursement(state: PersonState, cmd: CancelReimbursement, policy: PolicyBook) -> tuple[Event, ...]:
    if not any(r.claim_id == cmd.claim_id for r in state.reimbursements):
        raise ReimbursementNotFound(f"Claim {cmd.claim_id} was never recorded for person {state.psn_no}.")
    return (ReimbursementCancelled(command_id=cmd.command_id, psn_no=state.psn_no, claim_id=cmd.claim_id),)
