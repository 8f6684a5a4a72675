import uuid
from dataclasses import replace
from datetime import date
from functools import partial

import pytest

from services.enrollment.domain import (
    ChangeHardshipGroup,
    HardshipGroup,
    InsuredPerson,
    LinkRelative,
    Relation,
    UnlinkRelative,
    psn_no_for,
)
from services.enrollment.domain.errors import (
    IdDetailsMismatch,
    InvalidPersonDetails,
    InvalidRegionCode,
    RelationToSelf,
    RelativeAlreadyLinked,
    RelativeNotLinked,
)
from services.enrollment.domain.events import PersonRegistered
from services.enrollment.tests.unit.builders import id_number, next_id, person, policy, register


def test_registering_a_person_records_who_they_are_under_an_opaque_person_number():
    command = register(born=date(1990, 5, 17))
    (event,) = InsuredPerson.register(command).events
    assert isinstance(event, PersonRegistered)
    assert event.psn_no == command.psn_no == psn_no_for(command.person_id)
    assert event.id_number[6:14] not in event.psn_no and event.id_number not in event.psn_no
    assert event.birth_date == date(1990, 5, 17)


def test_the_same_uuid_always_gives_the_same_person_number():
    person_id = uuid.uuid4()
    assert register(person_id=person_id).psn_no == register(person_id=person_id).psn_no == person_id.hex


def test_a_declared_birth_date_that_differs_from_the_id_is_refused():
    command = replace(register(), birth_date=date(1990, 5, 18))
    with pytest.raises(IdDetailsMismatch):
        InsuredPerson.register(command)


def test_an_insured_region_that_is_no_region_code_is_refused():
    with pytest.raises(InvalidRegionCode):
        InsuredPerson.register(replace(register(), insured_region="990100"))


def test_a_name_with_digits_is_refused():
    with pytest.raises(InvalidPersonDetails):
        InsuredPerson.register(replace(register(), name="张3"))


def test_the_id_number_is_stored_with_an_upper_case_x():
    born = date(1949, 12, 31)
    number = id_number(born=born).lower()
    command = replace(register(born=born), id_number=number)
    assert InsuredPerson.register(command).state.id_number == number.upper()


def test_spouse_parent_and_child_can_be_linked_and_unlinked():
    someone = person()
    someone.handle(LinkRelative(command_id=next_id(), psn_no=someone.state.psn_no, relative_psn_no="P-MOTHER",
                                relation=Relation.PARENT), policy())
    mother = someone.state.relative("P-MOTHER")
    assert mother is not None and mother.relation is Relation.PARENT
    someone.handle(UnlinkRelative(command_id=next_id(), psn_no=someone.state.psn_no, relative_psn_no="P-MOTHER"), policy())
    assert someone.state.relatives == ()


def test_a_relation_seen_from_the_other_side_is_its_inverse():
    assert Relation.PARENT.inverse() is Relation.CHILD
    assert Relation.CHILD.inverse() is Relation.PARENT
    assert Relation.SPOUSE.inverse() is Relation.SPOUSE


def test_a_relation_to_oneself_is_refused():
    someone = person()
    with pytest.raises(RelationToSelf) as refused:
        someone.handle(LinkRelative(command_id=next_id(), psn_no=someone.state.psn_no,
                                    relative_psn_no=someone.state.psn_no, relation=Relation.SPOUSE), policy())
    assert refused.value.reason_code == "RELATION_TO_SELF"


def test_linking_the_same_relative_twice_or_unlinking_a_stranger_is_refused():
    someone = person()
    link = partial(LinkRelative, psn_no=someone.state.psn_no, relative_psn_no="P-WIFE", relation=Relation.SPOUSE)
    someone.handle(link(command_id=next_id()), policy())
    with pytest.raises(RelativeAlreadyLinked):
        someone.handle(link(command_id=next_id()), policy())
    with pytest.raises(RelativeNotLinked):
        someone.handle(UnlinkRelative(command_id=next_id(), psn_no=someone.state.psn_no, relative_psn_no="P-NOBODY"), policy())


def test_a_changed_hardship_group_is_recorded_and_an_unchanged_one_records_nothing():
    someone = person()
    change = partial(ChangeHardshipGroup, psn_no=someone.state.psn_no, hardship_group=HardshipGroup.MINIMUM_INCOME,
                     effective_on=date(2025, 3, 1))
    assert someone.handle(change(command_id=next_id()), policy())
    assert someone.state.hardship_group is HardshipGroup.MINIMUM_INCOME
    assert someone.handle(change(command_id=next_id()), policy()) == ()
