"""The snapshot settlement projects: flat, frozen, serialisable, and right for the day asked about."""

import dataclasses
import json
from datetime import date

import pytest

from services.enrollment.domain import (
    ApproveChronicDisease,
    CoverageView,
    EmploymentStatus,
    EnrollEmployee,
    EnrollResident,
    FileCrossRegionTreatment,
    FilingKind,
    HardshipGroup,
    LinkRelative,
    Relation,
    Scheme,
    Sex,
)
from services.enrollment.tests.unit.builders import PREMIUM, next_id, person, policy


def resident_enrolled(years, paid_on=None, **kwargs):
    someone = person(**kwargs)
    for year in years:
        someone.handle(EnrollResident(command_id=next_id(), psn_no=someone.state.psn_no, coverage_year=year,
                                      paid_on=paid_on or date(year - 1, 11, 1), cash_amount=PREMIUM), policy())
    return someone


def test_the_view_says_who_is_covered_where_and_since_when():
    someone = resident_enrolled([2025, 2026], born=date(1990, 5, 17), sex=Sex.FEMALE)
    view = someone.view(date(2025, 8, 1))
    assert (view.scheme, view.insured_region, view.active) == (Scheme.RESIDENT, "140105", True)
    assert (view.sex, view.age) == (Sex.FEMALE, 35)
    assert (view.coverage_begins_on, view.coverage_ends_on) == (date(2025, 1, 1), date(2026, 12, 31))
    assert view.waiting_until is None and not view.retired


def test_before_coverage_starts_the_view_is_inactive_but_names_the_coming_coverage():
    view = resident_enrolled([2026]).view(date(2025, 12, 1))
    assert not view.active and view.coverage_begins_on == date(2026, 1, 1)


def test_someone_never_enrolled_is_inactive_under_the_registered_scheme():
    view = person(scheme=Scheme.RESIDENT).view(date(2025, 1, 1))
    assert (view.active, view.scheme, view.coverage_begins_on) == (False, Scheme.RESIDENT, None)


def test_a_late_enrollees_view_carries_the_last_day_of_waiting():
    someone = resident_enrolled([2025], paid_on=date(2025, 3, 15))
    assert someone.view(date(2025, 4, 1)).waiting_until == date(2025, 6, 14)


def test_the_employee_scheme_is_shown_when_both_basic_schemes_cover_the_day():
    someone = resident_enrolled([2025])
    someone.handle(EnrollEmployee(command_id=next_id(), psn_no=someone.state.psn_no, starts_on=date(2025, 7, 1),
                                  employment_status=EmploymentStatus.EMPLOYED), policy())
    assert someone.view(date(2025, 6, 30)).scheme is Scheme.RESIDENT
    assert someone.view(date(2025, 7, 1)).scheme is Scheme.EMPLOYEE


def test_the_view_lists_hardship_relatives_approvals_and_filings():
    someone = person(hardship_group=HardshipGroup.AT_RISK_OF_POVERTY)
    psn_no = someone.state.psn_no
    someone.handle(LinkRelative(command_id=next_id(), psn_no=psn_no, relative_psn_no="P-WIFE", relation=Relation.SPOUSE), policy())
    someone.handle(ApproveChronicDisease(command_id=next_id(), psn_no=psn_no, disease_code="M03900", valid_from=date(2025, 9, 1)), policy())
    someone.handle(FileCrossRegionTreatment(command_id=next_id(), psn_no=psn_no, filing_id="F1",
                                            kind=FilingKind.TEMPORARY, treatment_area="460100",
                                            filed_on=date(2025, 8, 1)), policy())
    view = someone.view(date(2025, 8, 15))
    assert view.hardship_group is HardshipGroup.AT_RISK_OF_POVERTY
    assert view.relatives == ("P-WIFE",)
    assert [a.disease_code for a in view.chronic_approvals] == ["M03900"]  # starts later: listed with its dates
    assert [f.filing_id for f in view.filings] == ["F1"]


def test_the_view_is_frozen_and_turns_into_plain_json():
    view = resident_enrolled([2025]).view(date(2025, 8, 1))
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.active = False
    assert isinstance(view, CoverageView)
    assert json.loads(json.dumps(dataclasses.asdict(view), default=str))["scheme"] == "390"


def test_the_version_rises_with_every_recorded_event():
    someone = resident_enrolled([2025])
    before = someone.view(date(2025, 1, 1)).version
    someone.handle(LinkRelative(command_id=next_id(), psn_no=someone.state.psn_no, relative_psn_no="P-1",
                                relation=Relation.CHILD), policy())
    assert someone.view(date(2025, 1, 1)).version == before + 1
