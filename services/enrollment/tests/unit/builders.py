"""Test builders: valid ID numbers, a Shanxi-like policy book, registered people, fresh command ids."""

from __future__ import annotations

import itertools
import uuid
from datetime import date
from typing import Any

from libs.pii import PiiVault
from libs.resident_id import with_check_character
from services.enrollment.domain import (
    SHANXI_SUBSIDIES_2022_2025,
    EmploymentStatus,
    HardshipGroup,
    InsuredPerson,
    PolicyBook,
    RegisterPerson,
    ResidentYear,
    Scheme,
    Sex,
)

HOME = "140105"  # a Taiyuan district; the policy is configured for the city, 140100
PREMIUM = 32_000  # 320 yuan, Shanxi's personal premium standard in 2022 (source 003)

VAULT = PiiVault.ephemeral()  # the test run's keys for sealing personal data at rest

_ids = itertools.count(1)


def next_id(prefix: str = "cmd") -> str:
    return f"{prefix}-{next(_ids)}"


def id_number(born: date = date(1990, 5, 17), sex: Sex = Sex.MALE, region: str = HOME, sequence: str = "12") -> str:
    sex_digit = "1" if sex is Sex.MALE else "2"
    return with_check_character(f"{region}{born:%Y%m%d}{sequence}{sex_digit}")


def resident_year(year: int, region: str = "140100", premium: int = PREMIUM, **overrides: Any) -> ResidentYear:
    fields: dict[str, Any] = dict(
        region=region, coverage_year=year, payment_opens_on=date(year - 1, 9, 1),
        payment_closes_on=date(year - 1, 12, 31), personal_premium=premium, subsidies=SHANXI_SUBSIDIES_2022_2025,
    )
    return ResidentYear(**{**fields, **overrides})


def policy(*extra: ResidentYear, **book: Any) -> PolicyBook:
    years = {(y.region, y.coverage_year): y for y in (*(resident_year(y) for y in range(2018, 2032)), *extra)}
    return PolicyBook(resident_years=tuple(years.values()), **book)


def register(
    born: date = date(1990, 5, 17),
    sex: Sex = Sex.MALE,
    hardship_group: HardshipGroup = HardshipGroup.NONE,
    scheme: Scheme = Scheme.RESIDENT,
    employment_status: EmploymentStatus = EmploymentStatus.NONE,
    registered_on: date | None = None,
    person_id: uuid.UUID | None = None,
    name: str = "张伟",
) -> RegisterPerson:
    return RegisterPerson(
        command_id=next_id("register"), person_id=person_id or uuid.uuid4(), id_number=id_number(born, sex),
        name=name, sex=sex, birth_date=born, insured_region=HOME, scheme=scheme,
        registered_on=registered_on or max(born, date(2024, 1, 2)),
        employment_status=employment_status, hardship_group=hardship_group,
    )


def person(**kwargs: Any) -> InsuredPerson:
    return InsuredPerson.register(register(**kwargs))
