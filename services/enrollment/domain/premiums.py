"""Resident premiums: the centralized payment period, late enrollment, students, newborns, subsidies.

A resident premium is the region's personal premium standard; a hardship group's subsidy (paid by the
medical-assistance fund) covers part or all of it, and the person pays the rest in cash or with a
relative's personal-account money (家庭共济缴费) that the wallet has already moved.
"""

from __future__ import annotations

from libs.money import Fen, format_yuan
from services.enrollment.domain.commands import EnrollNewborn, EnrollResident, EnrollStudent
from services.enrollment.domain.coverage import check_no_overlap, with_waiting_period
from services.enrollment.domain.dates import ONE_DAY, add_years, year_end, year_start
from services.enrollment.domain.errors import (
    InvalidAmount,
    InvalidStudyPeriod,
    MutualAidPayerNotRelative,
    NewbornOutsideBirthYear,
    PaymentOutsideWindow,
    PremiumAmountMismatch,
)
from services.enrollment.domain.events import ContributionRecorded, CoverageStarted, Event
from services.enrollment.domain.policy import PolicyBook, ResidentYear
from services.enrollment.domain.registration import check_region_code
from services.enrollment.domain.state import Contribution, CoveragePeriod, PersonState
from services.enrollment.domain.vocabulary import ContributionSource, EnrollmentKind, Scheme

MAX_STUDY_YEARS = 8


def enroll_resident(state: PersonState, cmd: EnrollResident, policy: PolicyBook) -> tuple[Event, ...]:
    """Pay in the centralized period for next year's coverage, or late for this year with a waiting period."""
    year = policy.resident_year(state.insured_region, cmd.coverage_year)
    if year.in_payment_period(cmd.paid_on):
        kind, starts_on = EnrollmentKind.CENTRALIZED, year_start(cmd.coverage_year)
    elif cmd.paid_on.year == cmd.coverage_year and year.late_enrollment_allowed:
        kind, starts_on = EnrollmentKind.LATE, cmd.paid_on
    else:
        late = " or, for late enrollment with a waiting period, during that year itself" if year.late_enrollment_allowed else ""
        raise PaymentOutsideWindow(
            f"The {cmd.coverage_year} resident premium in region {year.region} is collected from "
            f"{year.payment_opens_on.isoformat()} to {year.payment_closes_on.isoformat()}{late}; "
            f"a payment on {cmd.paid_on.isoformat()} cannot be taken."
        )
    period = CoveragePeriod(Scheme.RESIDENT, state.insured_region, starts_on, year_end(cmd.coverage_year), kind)
    check_no_overlap(state, period)
    period = with_waiting_period(state, period, outside_payment_period=kind is EnrollmentKind.LATE, rules=policy.waiting)
    paid = _premium_contributions(state, year, cmd, first_year=cmd.coverage_year, years=1)
    return (*_recorded(cmd.command_id, state.psn_no, paid), CoverageStarted(command_id=cmd.command_id, psn_no=state.psn_no, period=period))


def enroll_student(state: PersonState, cmd: EnrollStudent, policy: PolicyBook) -> tuple[Event, ...]:
    """A university student pays once for the whole study period, in October–December; covered from admission."""
    check_region_code(cmd.insured_region)
    if not 1 <= cmd.study_years <= MAX_STUDY_YEARS:
        raise InvalidStudyPeriod(f"A study period of {cmd.study_years} years is not possible; give 1 to {MAX_STUDY_YEARS}.")
    ends_on = add_years(cmd.admitted_on, cmd.study_years) - ONE_DAY
    starts_on = cmd.coverage_starts_on or cmd.admitted_on
    if not cmd.admitted_on <= starts_on <= ends_on:
        raise InvalidStudyPeriod(
            f"Coverage cannot start on {starts_on.isoformat()}: it must lie within the study period "
            f"{cmd.admitted_on.isoformat()} to {ends_on.isoformat()}."
        )
    year = policy.resident_year(cmd.insured_region, cmd.admitted_on.year)
    opens, closes = year.student_window_for_admission()
    if not opens <= cmd.paid_on <= closes:
        raise PaymentOutsideWindow(
            f"Students admitted in {cmd.admitted_on.year} pay from {opens.isoformat()} to {closes.isoformat()}; "
            f"a payment on {cmd.paid_on.isoformat()} cannot be taken as a student enrollment."
        )
    period = CoveragePeriod(Scheme.RESIDENT, cmd.insured_region, starts_on, ends_on, EnrollmentKind.STUDENT)
    check_no_overlap(state, period)
    paid = _premium_contributions(state, year, cmd, first_year=starts_on.year, years=cmd.study_years)
    return (*_recorded(cmd.command_id, state.psn_no, paid), CoverageStarted(command_id=cmd.command_id, psn_no=state.psn_no, period=period))


def enroll_newborn(state: PersonState, cmd: EnrollNewborn, policy: PolicyBook) -> tuple[Event, ...]:
    """新生儿: enrolled in the birth year without payment, covered from the day of birth, no waiting period."""
    born = state.birth_date
    if cmd.enrolled_on.year != born.year:
        raise NewbornOutsideBirthYear(
            f"Free newborn enrollment is only possible in the birth year {born.year}; "
            f"on {cmd.enrolled_on.isoformat()} enroll the child as a resident with a premium instead."
        )
    period = CoveragePeriod(Scheme.RESIDENT, state.insured_region, born, year_end(born.year), EnrollmentKind.NEWBORN)
    check_no_overlap(state, period)
    return (CoverageStarted(command_id=cmd.command_id, psn_no=state.psn_no, period=period),)


def premium_split(year: ResidentYear, state: PersonState) -> tuple[Fen, Fen]:
    """(subsidy, what the person pays) for one year of the premium standard: what the counter quotes."""
    subsidy = year.subsidy(state.hardship_group)
    return subsidy, year.personal_premium - subsidy


def _premium_contributions(
    state: PersonState, year: ResidentYear, cmd: EnrollResident | EnrollStudent, *, first_year: int, years: int
) -> list[Contribution]:
    cash, mutual_aid = cmd.cash_amount, cmd.mutual_aid
    aid = mutual_aid.amount if mutual_aid else 0
    if cash < 0 or aid < 0 or (mutual_aid is not None and aid == 0):
        raise InvalidAmount("Amounts paid must be positive; a mutual-aid payment must carry its amount.")
    subsidy, due = premium_split(year, state)
    if cash + aid != due * years:
        subsidised = f" after a {format_yuan(subsidy)}-yuan subsidy for the {state.hardship_group.value} group" if subsidy else ""
        raise PremiumAmountMismatch(
            f"The personal part for {years} year(s) in region {year.region} is {format_yuan(due * years)} yuan"
            f"{subsidised}; {format_yuan(cash + aid)} yuan was paid. Take exactly the personal part."
        )
    if mutual_aid and state.relative(mutual_aid.payer_psn_no) is None:
        raise MutualAidPayerNotRelative(
            f"Person {mutual_aid.payer_psn_no} is not a linked spouse, parent or child of {state.psn_no}; "
            "link the relative before accepting their personal-account money."
        )
    paid = [
        Contribution(Scheme.RESIDENT, first_year, ContributionSource.MEDICAL_ASSISTANCE, subsidy * years, cmd.paid_on, years),
        Contribution(Scheme.RESIDENT, first_year, ContributionSource.PERSONAL, cash, cmd.paid_on, years),
    ]
    if mutual_aid:
        paid.append(Contribution(
            Scheme.RESIDENT, first_year, ContributionSource.MUTUAL_AID, aid, cmd.paid_on, years,
            payer_psn_no=mutual_aid.payer_psn_no, reference=mutual_aid.reference,
        ))
    return [c for c in paid if c.amount]


def _recorded(command_id: str, psn_no: str, contributions: list[Contribution]) -> list[Event]:
    return [ContributionRecorded(command_id=command_id, psn_no=psn_no, contribution=c) for c in contributions]
