"""The insured person (参保人): the one aggregate of the enrollment service.

`handle` looks the command up in one explicit table, lets the rule module decide which facts follow
(or refuse with a named error), applies them to the state and records them in `events`. It never
publishes: the service layer stores `events` and the outbox in one transaction.

Idempotency: every event carries its `command_id`, and the state remembers the ids it has handled, so
handling the same command twice records nothing the second time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from services.enrollment.domain import commands as c
from services.enrollment.domain import employee, filings, premiums, registration, reimbursements, transfer, treatments
from services.enrollment.domain.errors import FilingUnknownPerson, PersonAlreadyRegistered, UnknownPerson
from services.enrollment.domain.events import Event, PersonRegistered
from services.enrollment.domain.evolve import evolve, registered
from services.enrollment.domain.policy import PolicyBook
from services.enrollment.domain.state import PersonState
from services.enrollment.domain.view import CoverageView, coverage_view

Decide = Callable[[PersonState, Any, PolicyBook], tuple[Event, ...]]

DECIDERS: dict[type[c.Command], Decide] = {
    c.EnrollFromRegistration: registration.enroll_from_registration,
    c.LinkRelative: registration.link_relative,
    c.UnlinkRelative: registration.unlink_relative,
    c.ChangeHardshipGroup: registration.change_hardship_group,
    c.EnrollResident: premiums.enroll_resident,
    c.EnrollStudent: premiums.enroll_student,
    c.EnrollNewborn: premiums.enroll_newborn,
    c.EnrollEmployee: employee.enroll_employee,
    c.EndEmployeeCoverage: employee.end_employee_coverage,
    c.RecordEmployeeContribution: employee.record_employee_contribution,
    c.RecordDeemedContribution: employee.record_deemed_contribution,
    c.PayRetirementShortfall: employee.pay_retirement_shortfall,
    c.Retire: employee.retire,
    c.RecordFundPaymentYear: reimbursements.record_fund_payment_year,
    c.ApplyForTransfer: transfer.apply_for_transfer,
    c.RequestTransfer: transfer.request_transfer,
    c.CompleteTransfer: transfer.complete_transfer,
    c.CancelTransfer: transfer.cancel_transfer,
    c.FileCrossRegionTreatment: filings.file_cross_region_treatment,
    c.CancelFiling: filings.cancel_filing,
    c.ApproveChronicDisease: treatments.approve_chronic_disease,
    c.RevokeChronicApproval: treatments.revoke_chronic_approval,
    c.DesignateSpecialDrug: treatments.designate_special_drug,
    c.EndSpecialDrugDesignation: treatments.end_special_drug_designation,
}

FILING_COMMANDS = (c.FileCrossRegionTreatment, c.CancelFiling)


class InsuredPerson:
    def __init__(self, state: PersonState) -> None:
        self.state = state
        self.events: list[Event] = []

    @classmethod
    def register(cls, cmd: c.RegisterPerson) -> InsuredPerson:
        event = registration.register(cmd)
        person = cls(registered(event))
        person.events.append(event)
        return person

    @classmethod
    def replay(cls, history: Iterable[Event], *, since: PersonState | None = None) -> InsuredPerson:
        """Rebuild from stored events, or go on from `since`, a state rebuilt earlier, with the events after it.

        `events` starts empty (nothing new to store).
        """
        events = iter(history)
        state = since
        if state is None:
            first = next(events, None)
            if not isinstance(first, PersonRegistered):
                raise ValueError("a person's history starts with PersonRegistered")
            state = registered(first)
        for event in events:
            state = evolve(state, event)
        return cls(state)

    def handle(self, command: c.Command, policy: PolicyBook) -> tuple[Event, ...]:
        """Decide, apply and record; a command already handled records nothing."""
        if command.psn_no != self.state.psn_no:
            raise ValueError(f"command for {command.psn_no} sent to person {self.state.psn_no}")
        if command.command_id in self.state.handled_commands:
            return ()
        new = DECIDERS[type(command)](self.state, command, policy)
        for event in new:
            self.state = evolve(self.state, event)
        self.events.extend(new)
        return new

    def view(self, on: date) -> CoverageView:
        return coverage_view(self.state, on)


def check_person_known(person: InsuredPerson | None, command: c.Command) -> InsuredPerson:
    """For the service layer: a command about a person nobody registered is refused with a clear reason."""
    if person is not None:
        return person
    error = FilingUnknownPerson if isinstance(command, FILING_COMMANDS) else UnknownPerson
    raise error(f"No insured person {command.psn_no} is registered; register the person before this {type(command).__name__}.")


def check_not_registered(person: InsuredPerson | None, command: c.RegisterPerson) -> None:
    """For the service layer: a second registration under another command id is refused."""
    if person is not None and command.command_id not in person.state.handled_commands:
        raise PersonAlreadyRegistered(f"Person {command.psn_no} is already registered; change the existing record instead.")
