"""The enrollment office's words: schemes, statuses, groups, relations, and region codes."""

from __future__ import annotations

import re
from enum import StrEnum


class Scheme(StrEnum):
    """险种类型 (`insutype`)."""

    EMPLOYEE = "310"  # 职工基本医疗保险
    RESIDENT = "390"  # 城乡居民基本医疗保险
    MATERNITY = "510"  # 生育保险


class Sex(StrEnum):
    """性别 (`gend`) as the national interface codes it."""

    MALE = "1"
    FEMALE = "2"


class EmploymentStatus(StrEnum):
    NONE = "none"  # residents who are not in the employee scheme
    EMPLOYED = "employed"
    FLEXIBLE = "flexible"  # 灵活就业
    RETIRED = "retired"


class HardshipGroup(StrEnum):
    NONE = "none"
    EXTREME_HARDSHIP = "extreme_hardship"  # 特困人员
    MINIMUM_INCOME = "minimum_income"  # 低保对象
    AT_RISK_OF_POVERTY = "at_risk_of_poverty"  # 易返贫致贫人口
    RETURNED_TO_POVERTY = "returned_to_poverty"  # 返贫致贫人口


class Relation(StrEnum):
    """What the relative is to the person: `PARENT` means the relative is the person's parent."""

    SPOUSE = "spouse"
    PARENT = "parent"
    CHILD = "child"

    def inverse(self) -> Relation:
        """The same tie seen from the relative's side (my parent has me as a child)."""
        return {Relation.PARENT: Relation.CHILD, Relation.CHILD: Relation.PARENT}.get(self, self)


class EnrollmentKind(StrEnum):
    """How a coverage period came about; decides waiting periods and continuity."""

    CENTRALIZED = "centralized"  # paid inside the centralized payment period
    LATE = "late"  # paid outside it, for the current year
    STUDENT = "student"  # university student, whole study period at once
    NEWBORN = "newborn"  # birth year, no payment
    EMPLOYEE = "employee"  # employee or maternity scheme, open-ended


class ContributionSource(StrEnum):
    PERSONAL = "personal"  # paid by the person in cash
    MUTUAL_AID = "mutual_aid"  # a relative's personal-account money (家庭共济缴费)
    MEDICAL_ASSISTANCE = "medical_assistance"  # subsidy for hardship groups (医疗救助基金)
    EMPLOYER = "employer"
    EMPLOYEE = "employee"


# 11 Beijing … 65 Xinjiang, 71 Taiwan, 81 Hong Kong, 82 Macao, 83 residence permits for Taiwan residents.
PROVINCE_CODES = frozenset(
    [
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43",
        "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82", "83",
    ]
)
_SIX_DIGITS = re.compile(r"\d{6}")


def is_region_code(code: str) -> bool:
    """A 6-digit administrative division code (医保区划) with a known province prefix."""
    return bool(_SIX_DIGITS.fullmatch(code)) and code[:2] in PROVINCE_CODES


def is_treatment_area(code: str) -> bool:
    """A filed treatment area: a 6-digit region, or a 2-digit province meaning the whole province."""
    return is_region_code(code) or (len(code) == 2 and code in PROVINCE_CODES)


def area_contains(area: str, region: str) -> bool:
    """Whether a filed area ('44' or '440100') covers a region or a narrower area."""
    return region.startswith(area) if len(area) == 2 else region == area


def areas_overlap(a: str, b: str) -> bool:
    return area_contains(a, b) or area_contains(b, a)
