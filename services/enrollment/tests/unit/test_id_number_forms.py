"""One person, one ID number: look-alike digits are brought to one form or refused, and a refusal
never shows the birth date the number embeds."""

from __future__ import annotations

from datetime import date

import pytest

from libs.resident_id import check_character
from services.enrollment.domain.errors import IdDetailsMismatch, InvalidIdNumber
from services.enrollment.domain.resident_id import check_matches_id, parse_resident_id
from services.enrollment.domain.vocabulary import Sex

TODAY = date(2026, 6, 1)
ASCII = "11010519491231002X"
FULL_WIDTH = "".join(chr(ord(c) + 0xFEE0) for c in ASCII)  # １１０１０５…Ｘ


@pytest.mark.parametrize("keyed", [FULL_WIDTH, f"  {ASCII.lower()} ", "¹¹⁰¹⁰⁵¹⁹⁴⁹¹²³¹⁰⁰²X", "①1010519491231002X"])
def test_full_width_superscript_and_lower_case_forms_are_the_same_number(keyed) -> None:
    assert parse_resident_id(keyed, today=TODAY).number == ASCII


@pytest.mark.parametrize("keyed", ["١١٠١٠٥١٩٤٩١٢٣١٠٠٢X", "11010519491231002\x00", "1101051949123100２\u0301"])
def test_other_digits_and_control_characters_are_refused_not_crashed_on(keyed) -> None:
    with pytest.raises(InvalidIdNumber):
        parse_resident_id(keyed, today=TODAY)


def test_no_refusal_shows_the_birth_date_the_number_embeds() -> None:
    impossible = "14010519900230121"
    future = "14010520990602121"
    refusals = []
    for number in (impossible + check_character(impossible), future + check_character(future)):
        with pytest.raises(InvalidIdNumber) as refused:
            parse_resident_id(number, today=TODAY)
        refusals.append(str(refused.value))
    resident_id = parse_resident_id(ASCII, today=TODAY)
    with pytest.raises(IdDetailsMismatch) as mismatch:
        check_matches_id(resident_id, birth_date=date(1950, 1, 2), sex=Sex.FEMALE)
    refusals.append(str(mismatch.value))
    for reason in refusals:
        for shown in ("19900230", "1990-02-30", "20990602", "2099-06-02", "1950-01-02", "19491231", "1949-12-31"):
            assert shown not in reason
