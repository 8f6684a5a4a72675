"""The enrollment policy book from its YAML file (services/enrollment/policy/resident_years.yaml).

Amounts are yuan (quoted strings or whole numbers) and ratios quoted decimals, as in settlement's policy
packs; they become fen and Decimal here. A file that does not fit the schema stops the service at start
with the field at fault, rather than leaving a region half-configured.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from libs.money import ratio, yuan_to_fen
from services.enrollment.domain import (
    HardshipGroup,
    PolicyBook,
    ResidentYear,
    SubsidyKind,
    SubsidyRule,
    WaitingPeriodRules,
)

Yuan = str | int


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Subsidy(_Strict):
    kind: Literal["full", "ratio", "fixed"]
    ratio: str = "0"
    amount: Yuan = 0  # the fixed amount, or the floor of a ratio, in yuan

    def rule(self) -> SubsidyRule:
        return SubsidyRule(SubsidyKind(self.kind), ratio(self.ratio), yuan_to_fen(self.amount))


class _ResidentYear(_Strict):
    region: str = Field(pattern=r"^\d{6}$")
    coverage_year: int
    payment_opens_on: date
    payment_closes_on: date
    personal_premium: Yuan
    subsidies: str | None = None  # a key of `subsidy_rules`
    late_enrollment_allowed: bool = True
    student_window: tuple[date, date] | None = None


class _Waiting(_Strict):
    base_months: int = 3
    months_per_further_year: int = 1
    max_months: int | None = None
    applies_from_year: int = 2025


class PolicyFile(_Strict):
    sources: list[str] = []
    assumed: list[str] = []
    waiting_period: _Waiting = _Waiting()
    flexible_worker_maternity_regions: list[str] = []
    subsidy_rules: dict[str, dict[HardshipGroup, _Subsidy]] = {}
    resident_years: list[_ResidentYear]

    @model_validator(mode="after")
    def _references_resolve(self) -> PolicyFile:
        for year in self.resident_years:
            if year.subsidies is not None and year.subsidies not in self.subsidy_rules:
                raise ValueError(f"{year.region}/{year.coverage_year}: no subsidy rules named {year.subsidies!r}")
        keys = [(y.region, y.coverage_year) for y in self.resident_years]
        if len(keys) != len(set(keys)):
            raise ValueError("a region and coverage year are configured twice")
        return self

    def book(self) -> PolicyBook:
        rules = {name: MappingProxyType({g: s.rule() for g, s in groups.items()}) for name, groups in self.subsidy_rules.items()}
        years = tuple(
            ResidentYear(
                region=y.region, coverage_year=y.coverage_year, payment_opens_on=y.payment_opens_on,
                payment_closes_on=y.payment_closes_on, personal_premium=yuan_to_fen(y.personal_premium),
                subsidies=rules[y.subsidies] if y.subsidies else MappingProxyType({}),
                late_enrollment_allowed=y.late_enrollment_allowed, student_window=y.student_window,
            )
            for y in self.resident_years
        )
        w = self.waiting_period
        waiting = WaitingPeriodRules(w.base_months, w.months_per_further_year, w.max_months, w.applies_from_year)
        return PolicyBook(years, waiting, frozenset(self.flexible_worker_maternity_regions))


def load_policy(path: Path) -> PolicyBook:
    return PolicyFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8"))).book()

