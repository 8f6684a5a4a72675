from datetime import date

import pytest

from services.enrollment.domain import (
    EnrollResident,
    FileCrossRegionTreatment,
    FilingKind,
    InsuredPerson,
    LinkRelative,
    Relation,
    check_not_registered,
    check_person_known,
)
from services.enrollment.domain.errors import (
    FilingUnknownPerson,
    PersonAlreadyRegistered,
    PremiumAmountMismatch,
    UnknownPerson,
)
from services.enrollment.tests.unit.builders import PREMIUM, next_id, person, policy, register


def test_handling_the_same_command_twice_records_its_events_once():
    someone = person()
    command = EnrollResident(command_id="office-42", psn_no=someone.state.psn_no, coverage_year=2025,
                             paid_on=date(2024, 11, 1), cash_amount=PREMIUM)
    first = someone.handle(command, policy())
    assert first and someone.handle(command, policy()) == ()
    assert len(someone.state.coverage) == 1 and len(someone.state.contributions) == 1


def test_every_event_names_the_command_that_caused_it():
    someone = person()
    command = EnrollResident(command_id="office-43", psn_no=someone.state.psn_no, coverage_year=2025,
                             paid_on=date(2024, 11, 1), cash_amount=PREMIUM)
    assert {event.command_id for event in someone.handle(command, policy())} == {"office-43"}


def test_replaying_the_recorded_events_rebuilds_the_same_person():
    someone = person()
    history = list(someone.events)
    history += someone.handle(EnrollResident(command_id=next_id(), psn_no=someone.state.psn_no, coverage_year=2025,
                                             paid_on=date(2025, 3, 2), cash_amount=PREMIUM), policy())
    history += someone.handle(LinkRelative(command_id=next_id(), psn_no=someone.state.psn_no, relative_psn_no="P-2",
                                           relation=Relation.SPOUSE), policy())
    rebuilt = InsuredPerson.replay(history)
    assert rebuilt.state == someone.state and rebuilt.events == []


def test_a_refused_command_changes_nothing():
    someone = person()
    before = someone.state
    with pytest.raises(PremiumAmountMismatch):
        someone.handle(EnrollResident(command_id=next_id(), psn_no=someone.state.psn_no, coverage_year=2025,
                                      paid_on=date(2024, 11, 1), cash_amount=1), policy())
    assert someone.state == before and len(someone.events) == 1


def test_a_command_for_an_unregistered_person_is_refused_and_filings_say_so_in_their_own_words():
    enroll = EnrollResident(command_id=next_id(), psn_no="P-nobody", coverage_year=2025, paid_on=date(2024, 11, 1))
    with pytest.raises(UnknownPerson):
        check_person_known(None, enroll)
    filing = FileCrossRegionTreatment(command_id=next_id(), psn_no="P-nobody", filing_id="F1",
                                      kind=FilingKind.TEMPORARY, treatment_area="460100", filed_on=date(2025, 1, 1))
    with pytest.raises(FilingUnknownPerson) as refused:
        check_person_known(None, filing)
    assert refused.value.reason_code == "FILING_UNKNOWN_PERSON"


def test_registering_again_is_a_no_op_for_the_same_command_and_refused_for_another():
    command = register()
    someone = InsuredPerson.register(command)
    check_not_registered(someone, command)
    with pytest.raises(PersonAlreadyRegistered):
        check_not_registered(someone, register(person_id=command.person_id))
