"""异地就医备案 (sources 001, 003). Validity defaults are assumptions where the sources are silent:
temporary, referral and emergency 6 months, long-term residence until cancelled."""

from datetime import date

import pytest

from services.enrollment.domain import CancelFiling, FileCrossRegionTreatment, FilingKind
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
from services.enrollment.tests.unit.builders import next_id, person, policy

HAINAN = "460100"


def file(someone, kind=FilingKind.TEMPORARY, area=HAINAN, filed_on=date(2025, 1, 10), filing_id=None, **dates):
    command = FileCrossRegionTreatment(
        command_id=next_id(), psn_no=someone.state.psn_no, filing_id=filing_id or next_id("filing"), kind=kind,
        treatment_area=area, filed_on=filed_on, **dates,
    )
    (event,) = someone.handle(command, policy())
    return event.filing


def cancel(someone, filing_id, on):
    return someone.handle(CancelFiling(command_id=next_id(), psn_no=someone.state.psn_no, filing_id=filing_id, cancelled_on=on), policy())


def test_a_temporary_filing_is_valid_for_six_months_from_filing():
    filing = file(person())
    assert (filing.valid_from, filing.valid_until) == (date(2025, 1, 10), date(2025, 7, 9))


def test_a_referral_is_valid_for_six_months_and_a_long_term_residence_until_cancelled():
    someone = person()
    assert file(someone, FilingKind.REFERRAL, area="110105").valid_until == date(2025, 7, 9)
    assert file(someone, FilingKind.LONG_TERM_RESIDENCE).valid_until is None


def test_a_filing_may_name_its_own_end_and_a_whole_province():
    filing = file(person(), area="46", valid_until=date(2025, 3, 31))
    assert (filing.treatment_area, filing.valid_until) == ("46", date(2025, 3, 31))


def test_a_filing_for_the_insured_region_or_its_province_is_refused():
    with pytest.raises(FilingInsuredRegion):
        file(person(), area="140105")
    with pytest.raises(FilingInsuredRegion):
        file(person(), area="14")


def test_a_filing_for_no_region_is_refused():
    with pytest.raises(InvalidRegionCode):
        file(person(), area="4601")


def test_only_an_emergency_admission_may_be_filed_after_the_fact():
    with pytest.raises(FilingBackdated):
        file(person(), valid_from=date(2025, 1, 2))
    filing = file(person(), FilingKind.EMERGENCY, valid_from=date(2025, 1, 2))
    assert (filing.valid_from, filing.valid_until) == (date(2025, 1, 2), date(2025, 7, 1))


def test_an_emergency_filing_after_discharge_settlement_is_refused():
    with pytest.raises(EmergencyFilingAfterDischarge) as refused:
        file(person(), FilingKind.EMERGENCY, valid_from=date(2025, 1, 2), discharge_settled_on=date(2025, 1, 9))
    assert refused.value.reason_code == "EMERGENCY_FILING_AFTER_DISCHARGE"


def test_an_emergency_filing_needs_the_admission_date():
    with pytest.raises(InvalidValidity):
        file(person(), FilingKind.EMERGENCY)


def test_two_filings_for_the_same_area_at_once_are_refused():
    someone = person()
    file(someone, area="46")
    with pytest.raises(FilingOverlap) as refused:
        file(someone, area=HAINAN, filed_on=date(2025, 3, 1))
    assert refused.value.reason_code == "FILING_OVERLAP"


def test_filings_for_different_areas_may_run_at_once_but_not_two_residences():
    someone = person()
    file(someone, FilingKind.LONG_TERM_RESIDENCE)
    file(someone, FilingKind.TEMPORARY, area="440106")
    with pytest.raises(FilingOverlap):
        file(someone, FilingKind.LONG_TERM_RESIDENCE, area="440106", filed_on=date(2026, 1, 1))


def test_a_filing_number_is_used_once():
    someone = person()
    file(someone, filing_id="F-1")
    with pytest.raises(FilingNumberInUse):
        file(someone, area="440106", filing_id="F-1")


def test_a_cancelled_filing_stops_on_the_cancellation_day_and_frees_its_area():
    someone = person()
    filing = file(someone, FilingKind.LONG_TERM_RESIDENCE)
    cancel(someone, filing.filing_id, date(2025, 4, 1))
    assert someone.view(date(2025, 3, 31)).filings[0].valid_until == date(2025, 3, 31)
    assert someone.view(date(2025, 4, 1)).filings == ()
    file(someone, FilingKind.LONG_TERM_RESIDENCE, filed_on=date(2025, 4, 1))


def test_cancelling_an_expired_filing_is_refused():
    someone = person()
    filing = file(someone)
    with pytest.raises(FilingExpired) as refused:
        cancel(someone, filing.filing_id, date(2025, 7, 10))
    assert refused.value.reason_code == "FILING_EXPIRED"


def test_cancelling_twice_or_an_unknown_filing_is_refused():
    someone = person()
    filing = file(someone)
    cancel(someone, filing.filing_id, date(2025, 2, 1))
    with pytest.raises(FilingAlreadyCancelled):
        cancel(someone, filing.filing_id, date(2025, 2, 2))
    with pytest.raises(FilingNotFound):
        cancel(someone, "F-none", date(2025, 2, 2))
