from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from libs.resident_id import check_character
from services.enrollment.domain import Sex, parse_resident_id
from services.enrollment.domain.errors import IdDetailsMismatch, InvalidIdNumber
from services.enrollment.domain.resident_id import check_matches_id
from services.enrollment.domain.vocabulary import PROVINCE_CODES

TODAY = date(2025, 6, 1)


def test_the_standards_own_example_has_check_character_x_and_a_female_holder():
    resident_id = parse_resident_id("11010519491231002x", today=TODAY)
    assert resident_id.number == "11010519491231002X"
    assert resident_id.birth_date == date(1949, 12, 31)
    assert resident_id.sex is Sex.FEMALE
    assert resident_id.region_prefix == "110105"


def test_an_odd_seventeenth_digit_means_a_man():
    first_17 = "14010519900517121"
    assert parse_resident_id(first_17 + check_character(first_17), today=TODAY).sex is Sex.MALE


@given(
    st.sampled_from(sorted(PROVINCE_CODES)),
    st.from_regex(r"[0-9]{4}", fullmatch=True),  # ASCII: other scripts' digits are refused (test_id_number_forms.py)
    st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    st.from_regex(r"[0-9]{3}", fullmatch=True),
)
def test_any_id_with_its_computed_check_character_is_accepted_and_any_other_character_refused(province, area, born, sequence):
    first_17 = f"{province}{area}{born:%Y%m%d}{sequence}"
    good = check_character(first_17)
    assert parse_resident_id(first_17 + good, today=TODAY).number == first_17 + good
    for wrong in set("0123456789X") - {good}:
        with pytest.raises(InvalidIdNumber):
            parse_resident_id(first_17 + wrong, today=TODAY)


@pytest.mark.parametrize(
    ("number", "words"),
    [
        ("1101051949123100", "18 characters"),
        ("11010519491231002Y", "18 characters"),
        ("99010519491231002X", "no province code"),
        ("110105194912310021", "check character"),
    ],
)
def test_malformed_id_numbers_are_refused_with_the_part_that_is_wrong(number, words):
    with pytest.raises(InvalidIdNumber, match=words) as refused:
        parse_resident_id(number, today=TODAY)
    assert refused.value.reason_code == "INVALID_ID_NUMBER"


def test_an_impossible_birth_date_is_refused():
    first_17 = "14010519900230121"  # 30 February
    with pytest.raises(InvalidIdNumber, match="not a real date"):
        parse_resident_id(first_17 + check_character(first_17), today=TODAY)


def test_a_birth_date_in_the_future_is_refused():
    first_17 = "14010520250602121"
    with pytest.raises(InvalidIdNumber, match="future"):
        parse_resident_id(first_17 + check_character(first_17), today=TODAY)


def test_refusals_never_show_the_whole_id_number():
    with pytest.raises(InvalidIdNumber) as refused:
        parse_resident_id("110105194912310021", today=TODAY)
    assert "110105194912310021" not in str(refused.value)
    assert "110***********0021" in str(refused.value)


def test_declared_birth_date_and_sex_must_match_the_id():
    resident_id = parse_resident_id("11010519491231002X", today=TODAY)
    check_matches_id(resident_id, birth_date=date(1949, 12, 31), sex=Sex.FEMALE)
    with pytest.raises(IdDetailsMismatch, match="birth date"):
        check_matches_id(resident_id, birth_date=date(1949, 12, 30), sex=Sex.FEMALE)
    with pytest.raises(IdDetailsMismatch, match="sex") as refused:
        check_matches_id(resident_id, birth_date=date(1949, 12, 31), sex=Sex.MALE)
    assert refused.value.reason_code == "ID_DETAILS_MISMATCH"
