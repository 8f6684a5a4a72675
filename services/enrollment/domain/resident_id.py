"""The 18-character resident ID (居民身份证号码, GB 11643-1999).

Layout: 6-digit region of first registration, 8-digit birth date YYYYMMDD, 3-digit sequence whose
last digit is odd for men and even for women, and the mod-11 check character (`libs.resident_id`).
This module adds what registration checks beyond the check character: province, date and sex.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from libs.masking import mask_id_number
from libs.resident_id import check_character, is_well_formed, normalise
from services.enrollment.domain.errors import IdDetailsMismatch, InvalidIdNumber
from services.enrollment.domain.vocabulary import PROVINCE_CODES, Sex


@dataclass(frozen=True)
class ResidentId:
    number: str  # normalised: upper-case X

    @property
    def region_prefix(self) -> str:
        return self.number[:6]

    @property
    def birth_date(self) -> date:
        return date(int(self.number[6:10]), int(self.number[10:12]), int(self.number[12:14]))

    @property
    def sex(self) -> Sex:
        return Sex.MALE if int(self.number[16]) % 2 else Sex.FEMALE


def parse_resident_id(text: str, *, today: date) -> ResidentId:
    """A validated resident ID in its one form (libs/resident_id.py), or InvalidIdNumber saying which
    part is wrong. A refusal shows the number masked and never the birth date it embeds."""
    number = normalise(text)
    shown = mask_id_number(number)
    if not is_well_formed(number):
        raise InvalidIdNumber(
            f"ID number {shown} must be 18 characters: 17 digits and a final digit or X; re-key it from the card."
        )
    if number[:2] not in PROVINCE_CODES:
        raise InvalidIdNumber(f"ID number {shown} starts with {number[:2]}, which is no province code; re-key it from the card.")
    if number[17] != check_character(number[:17]):
        raise InvalidIdNumber(f"ID number {shown} fails its check character; re-key it from the card.")
    resident_id = ResidentId(number)
    try:
        born = resident_id.birth_date
    except ValueError:
        raise InvalidIdNumber(f"The date of birth in ID number {shown} is not a real date; re-key it from the card.") from None
    if born > today:
        raise InvalidIdNumber(f"ID number {shown} embeds a birth date in the future; re-key it from the card.")
    return resident_id


def check_matches_id(resident_id: ResidentId, *, birth_date: date, sex: Sex) -> None:
    """The declared birth date and sex must be those the ID number encodes."""
    shown = mask_id_number(resident_id.number)
    if birth_date != resident_id.birth_date:
        raise IdDetailsMismatch(
            f"The declared birth date differs from the one in ID number {shown}; "
            "correct the form from the ID card."
        )
    if sex != resident_id.sex:
        raise IdDetailsMismatch(
            f"Declared sex differs from the one encoded in ID number {shown}; correct the form from the ID card."
        )
