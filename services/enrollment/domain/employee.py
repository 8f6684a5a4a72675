"""The employee scheme: enrollment, monthly contributions, deemed years, the shortfall payment, retirement."""

from __future__ import annotations

from services.enrollment.domain.commands import (
    EndEmployeeCoverage,
    EnrollEmployee,
    PayRetirementShortfall,
    RecordDeemedContribution,
    RecordEmployeeContribution,
    Retire,
)
from services.enrollment.domain.coverage import check_no_overlap
from services.enrollment.domain.errors import (
    AlreadyRetired,
    ContributionMonthDuplicate,
    InvalidAmount,
    InvalidPersonDetails,
    MaternityNotOffered,
    NoRetirementShortfall,
    NotInEmployeeScheme,
    RetirementContributionShortfall,
)
from services.enrollment.domain.events import (
    ContributionRecorded,
    CoverageEnded,
    CoverageStarted,
    DeemedContributionRecorded,
    EmploymentStatusChanged,
    Event,
    PersonRetired,
    RetirementShortfallPaid,
)
from services.enrollment.domain.policy import PolicyBook
from services.enrollment.domain.retirement import retirement_eligibility
from services.enrollment.domain.state import Contribution, CoveragePeriod, PersonState
from services.enrollment.domain.vocabulary import ContributionSource, EmploymentStatus, EnrollmentKind, Scheme


def enroll_employee(state: PersonState, cmd: EnrollEmployee, policy: PolicyBook) -> tuple[Event, ...]:
    if cmd.employment_status not in (EmploymentStatus.EMPLOYED, EmploymentStatus.FLEXIBLE):
        raise InvalidPersonDetails(
            f"An employee enrollment needs the status employed or flexible, not {cmd.employment_status.value}."
        )
    if (
        cmd.with_maternity
        and cmd.employment_status is EmploymentStatus.FLEXIBLE
        and not policy.offers_maternity_to_flexible_workers(state.insured_region)
    ):
        raise MaternityNotOffered(
            f"Region {state.insured_region} does not bring flexible workers into maternity insurance; "
            "enroll the employee scheme without maternity."
        )
    schemes = (Scheme.EMPLOYEE, Scheme.MATERNITY) if cmd.with_maternity else (Scheme.EMPLOYEE,)
    periods = [CoveragePeriod(s, state.insured_region, cmd.starts_on, None, EnrollmentKind.EMPLOYEE) for s in schemes]
    for period in periods:
        check_no_overlap(state, period)
    started = [CoverageStarted(command_id=cmd.command_id, psn_no=state.psn_no, period=p) for p in periods]
    return (*started, EmploymentStatusChanged(command_id=cmd.command_id, psn_no=state.psn_no, employment_status=cmd.employment_status))


def end_employee_coverage(state: PersonState, cmd: EndEmployeeCoverage, policy: PolicyBook) -> tuple[Event, ...]:
    """Close the open employee (and maternity) coverage on `ends_on`, the last covered day."""
    open_periods = [p for p in state.periods(Scheme.EMPLOYEE, Scheme.MATERNITY) if p.ends_on is None and p.starts_on <= cmd.ends_on]
    if not any(p.scheme is Scheme.EMPLOYEE for p in open_periods):
        raise NotInEmployeeScheme(
            f"Person {state.psn_no} has no open employee coverage to end on {cmd.ends_on.isoformat()}."
        )
    return tuple(CoverageEnded(command_id=cmd.command_id, psn_no=state.psn_no, scheme=p.scheme, ends_on=cmd.ends_on) for p in open_periods)


def record_employee_contribution(state: PersonState, cmd: RecordEmployeeContribution, policy: PolicyBook) -> tuple[Event, ...]:
    if not 1 <= cmd.month <= 12 or cmd.employer_amount < 0 or cmd.employee_amount < 0:
        raise InvalidAmount(f"A contribution for month {cmd.month} of {cmd.year} must name a month 1–12 and non-negative amounts.")
    if any(c.scheme is Scheme.EMPLOYEE and (c.coverage_year, c.month) == (cmd.year, cmd.month) for c in state.contributions):
        raise ContributionMonthDuplicate(
            f"The employee contribution for {cmd.year}-{cmd.month:02d} is already recorded; record a correction instead of paying twice."
        )
    parts = ((ContributionSource.EMPLOYER, cmd.employer_amount), (ContributionSource.EMPLOYEE, cmd.employee_amount))
    return tuple(
        ContributionRecorded(
            command_id=cmd.command_id, psn_no=state.psn_no,
            contribution=Contribution(Scheme.EMPLOYEE, cmd.year, source, amount, cmd.paid_on, month=cmd.month),
        )
        for source, amount in parts
    )


def record_deemed_contribution(state: PersonState, cmd: RecordDeemedContribution, policy: PolicyBook) -> tuple[Event, ...]:
    if cmd.months <= 0:
        raise InvalidAmount("Deemed contribution years must be a positive number of months.")
    return (DeemedContributionRecorded(command_id=cmd.command_id, psn_no=state.psn_no, months=cmd.months),)


def pay_retirement_shortfall(state: PersonState, cmd: PayRetirementShortfall, policy: PolicyBook) -> tuple[Event, ...]:
    """一次性补足: the employer and the person each pay their part of the missing years."""
    eligibility = retirement_eligibility(state.sex, deemed_months=state.deemed_months, actual_months=state.actual_contribution_months)
    if eligibility.eligible:
        raise NoRetirementShortfall(f"Person {state.psn_no} already has enough contribution years; nothing is to be paid up.")
    if not 0 < cmd.months <= eligibility.shortfall_months or cmd.employer_amount < 0 or cmd.employee_amount < 0:
        raise InvalidAmount(
            f"The shortfall is {eligibility.describe_shortfall()}; pay between 1 month and that, with non-negative amounts."
        )
    paid = [
        Contribution(Scheme.EMPLOYEE, cmd.paid_on.year, source, amount, cmd.paid_on)
        for source, amount in ((ContributionSource.EMPLOYER, cmd.employer_amount), (ContributionSource.EMPLOYEE, cmd.employee_amount))
        if amount
    ]
    return (
        *(ContributionRecorded(command_id=cmd.command_id, psn_no=state.psn_no, contribution=c) for c in paid),
        RetirementShortfallPaid(
            command_id=cmd.command_id, psn_no=state.psn_no, months=cmd.months, amount=cmd.employer_amount + cmd.employee_amount
        ),
    )


def retire(state: PersonState, cmd: Retire, policy: PolicyBook) -> tuple[Event, ...]:
    if state.retired_on is not None:
        raise AlreadyRetired(f"Person {state.psn_no} retired on {state.retired_on.isoformat()} already.")
    if state.covered_on(cmd.retired_on, Scheme.EMPLOYEE) is None:
        raise NotInEmployeeScheme(
            f"Person {state.psn_no} has no employee coverage on {cmd.retired_on.isoformat()}; "
            "retirement benefits follow the employee scheme only."
        )
    eligibility = retirement_eligibility(state.sex, deemed_months=state.deemed_months, actual_months=state.actual_contribution_months)
    if not eligibility.eligible:
        raise RetirementContributionShortfall(
            f"Contribution years fall short by {eligibility.describe_shortfall()} "
            f"(deemed {state.deemed_months} + actual {state.actual_contribution_months} months; "
            f"{eligibility.required_total_months} needed, at least 120 actual). "
            "Continue contributing, or take a one-off payment of the shortfall first."
        )
    return (
        PersonRetired(command_id=cmd.command_id, psn_no=state.psn_no, retired_on=cmd.retired_on),
        EmploymentStatusChanged(command_id=cmd.command_id, psn_no=state.psn_no, employment_status=EmploymentStatus.RETIRED),
    )
