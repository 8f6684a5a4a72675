"""Registering a person, their near relatives and their hardship group."""

from __future__ import annotations

from services.enrollment.domain.commands import (
    ChangeHardshipGroup,
    EnrollFromRegistration,
    LinkRelative,
    RegisterPerson,
    UnlinkRelative,
)
from services.enrollment.domain.coverage import check_no_overlap
from services.enrollment.domain.dates import year_end
from services.enrollment.domain.errors import (
    InvalidPersonDetails,
    InvalidRegionCode,
    RelationToSelf,
    RelativeAlreadyLinked,
    RelativeNotLinked,
)
from services.enrollment.domain.events import (
    CoverageStarted,
    Event,
    HardshipGroupChanged,
    PersonRegistered,
    PersonRetired,
    RelativeLinked,
    RelativeUnlinked,
)
from services.enrollment.domain.policy import PolicyBook
from services.enrollment.domain.resident_id import check_matches_id, parse_resident_id
from services.enrollment.domain.state import CoveragePeriod, PersonState
from services.enrollment.domain.vocabulary import EmploymentStatus, EnrollmentKind, Scheme, is_region_code

MAX_NAME_LENGTH = 50


def register(cmd: RegisterPerson) -> PersonRegistered:
    """参保登记: the ID number must be valid and agree with the declared birth date and sex."""
    resident_id = parse_resident_id(cmd.id_number, today=cmd.registered_on)
    check_matches_id(resident_id, birth_date=cmd.birth_date, sex=cmd.sex)
    name = cmd.name.strip()
    if not name or len(name) > MAX_NAME_LENGTH or any(ch.isdigit() for ch in name):
        raise InvalidPersonDetails(
            f"The name must be 1 to {MAX_NAME_LENGTH} characters without digits, as printed on the ID card."
        )
    check_region_code(cmd.insured_region)
    return PersonRegistered(
        command_id=cmd.command_id, psn_no=cmd.psn_no, id_number=resident_id.number, name=name, sex=cmd.sex,
        birth_date=cmd.birth_date, insured_region=cmd.insured_region, scheme=cmd.scheme,
        employment_status=cmd.employment_status, hardship_group=cmd.hardship_group, registered_on=cmd.registered_on,
    )


def check_region_code(code: str) -> None:
    if not is_region_code(code):
        raise InvalidRegionCode(f"{code!r} is not a 6-digit region code (医保区划) with a known province prefix.")


def enroll_from_registration(state: PersonState, cmd: EnrollFromRegistration, policy: PolicyBook) -> tuple[Event, ...]:
    """Ordinary coverage from the registration's start date: resident to the end of `through_year`, employee open.

    A retiree registered into the employee scheme is recorded retired from that day: the office's register
    already decided the retirement, so the contribution years are not checked again here.
    """
    status = state.employment_status
    if cmd.scheme is Scheme.EMPLOYEE:
        if status not in (EmploymentStatus.EMPLOYED, EmploymentStatus.FLEXIBLE, EmploymentStatus.RETIRED):
            raise InvalidPersonDetails(
                f"An employee-scheme registration needs the status employed, flexible or retired, not {status.value}."
            )
        period = CoveragePeriod(Scheme.EMPLOYEE, state.insured_region, cmd.starts_on, None, EnrollmentKind.EMPLOYEE)
    elif cmd.scheme is Scheme.RESIDENT:
        ends_on = year_end(max(cmd.through_year, cmd.starts_on.year))
        period = CoveragePeriod(Scheme.RESIDENT, state.insured_region, cmd.starts_on, ends_on, EnrollmentKind.CENTRALIZED)
    else:
        raise InvalidPersonDetails(
            "Maternity insurance (510) is held with the employee scheme; register with 310 and enroll maternity "
            "through EnrollEmployee with_maternity."
        )
    check_no_overlap(state, period)
    started = CoverageStarted(command_id=cmd.command_id, psn_no=state.psn_no, period=period)
    if cmd.scheme is Scheme.EMPLOYEE and status is EmploymentStatus.RETIRED:
        return (started, PersonRetired(command_id=cmd.command_id, psn_no=state.psn_no, retired_on=cmd.starts_on))
    return (started,)


def link_relative(state: PersonState, cmd: LinkRelative, policy: PolicyBook) -> tuple[Event, ...]:
    """Near relatives (spouse, parent, child) for family mutual aid; the service layer links the inverse too."""
    if cmd.relative_psn_no == state.psn_no:
        raise RelationToSelf("A person cannot be their own relative; enter the relative's person number.")
    existing = state.relative(cmd.relative_psn_no)
    if existing is not None:
        raise RelativeAlreadyLinked(
            f"Person {cmd.relative_psn_no} is already linked as {existing.relation.value}; unlink first to change the relation."
        )
    return (RelativeLinked(command_id=cmd.command_id, psn_no=state.psn_no, relative_psn_no=cmd.relative_psn_no, relation=cmd.relation),)


def unlink_relative(state: PersonState, cmd: UnlinkRelative, policy: PolicyBook) -> tuple[Event, ...]:
    if state.relative(cmd.relative_psn_no) is None:
        raise RelativeNotLinked(f"Person {cmd.relative_psn_no} is not linked as a relative of {state.psn_no}.")
    return (RelativeUnlinked(command_id=cmd.command_id, psn_no=state.psn_no, relative_psn_no=cmd.relative_psn_no),)


def change_hardship_group(state: PersonState, cmd: ChangeHardshipGroup, policy: PolicyBook) -> tuple[Event, ...]:
    """The group certified by civil affairs; it decides the subsidy of premiums paid from now on."""
    if cmd.hardship_group is state.hardship_group:
        return ()
    return (HardshipGroupChanged(
        command_id=cmd.command_id, psn_no=state.psn_no, hardship_group=cmd.hardship_group, effective_on=cmd.effective_on
    ),)
