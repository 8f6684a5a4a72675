"""Regional enrollment parameters: configurable data, never constants buried in rules.

A `PolicyBook` holds, per pooling region and coverage year, the centralized payment period, the
personal premium standard and the subsidy rules, plus the national waiting-period rules. A region
without its own entry falls back to its city (`XXXX00`) and then its province (`XX0000`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from libs.money import Fen, apply_ratio, format_yuan, ratio
from services.enrollment.domain.errors import PolicyNotConfigured
from services.enrollment.domain.vocabulary import HardshipGroup


class SubsidyKind(StrEnum):
    FULL = "full"  # the whole personal premium
    RATIO = "ratio"  # a ratio of the premium standard, at least `floor`
    FIXED = "fixed"  # a fixed amount


@dataclass(frozen=True)
class SubsidyRule:
    kind: SubsidyKind
    ratio: Decimal = Decimal(0)
    amount: Fen = 0  # the fixed amount (FIXED) or the floor (RATIO)

    def subsidy(self, premium: Fen) -> Fen:
        """The subsidy towards `premium`, never more than the premium itself."""
        if self.kind is SubsidyKind.FULL:
            return premium
        if self.kind is SubsidyKind.RATIO:
            return min(premium, max(apply_ratio(premium, self.ratio), self.amount))
        return min(premium, self.amount)

    def describe(self) -> str:
        if self.kind is SubsidyKind.FULL:
            return "full subsidy"
        if self.kind is SubsidyKind.RATIO:
            floor = f", at least {format_yuan(self.amount)} yuan" if self.amount else ""
            return f"{self.ratio:%} of the premium standard{floor}"
        return f"a fixed {format_yuan(self.amount)} yuan"


SubsidyRules = Mapping[HardshipGroup, SubsidyRule]

# Shanxi 2022–2025 (source 003): 特困 full; 低保 80% of the standard, "低于280元按280元资助";
# 易返贫致贫 a fixed 280 yuan; 返贫致贫 90%. Paid from the medical-assistance fund.
SHANXI_SUBSIDIES_2022_2025: SubsidyRules = MappingProxyType({
    HardshipGroup.EXTREME_HARDSHIP: SubsidyRule(SubsidyKind.FULL),
    HardshipGroup.MINIMUM_INCOME: SubsidyRule(SubsidyKind.RATIO, ratio("0.80"), amount=28_000),
    HardshipGroup.AT_RISK_OF_POVERTY: SubsidyRule(SubsidyKind.FIXED, amount=28_000),
    HardshipGroup.RETURNED_TO_POVERTY: SubsidyRule(SubsidyKind.RATIO, ratio("0.90")),
})


@dataclass(frozen=True)
class ResidentYear:
    """The resident scheme's parameters for one pooling region and one coverage year."""

    region: str
    coverage_year: int
    payment_opens_on: date  # 集中缴费期
    payment_closes_on: date  # for residents, 31 December of the year before
    personal_premium: Fen  # 个人缴费标准, e.g. 32000 (320 yuan, Shanxi 2022)
    subsidies: SubsidyRules = field(default_factory=lambda: MappingProxyType({}))
    late_enrollment_allowed: bool = True
    student_window: tuple[date, date] | None = None  # default: October–December of the admission year

    def in_payment_period(self, day: date) -> bool:
        return self.payment_opens_on <= day <= self.payment_closes_on

    def student_window_for_admission(self) -> tuple[date, date]:
        """Students pay in October–December of the year they are admitted (source 004)."""
        return self.student_window or (date(self.coverage_year, 10, 1), date(self.coverage_year, 12, 31))

    def subsidy(self, group: HardshipGroup) -> Fen:
        if group is HardshipGroup.NONE:
            return 0
        rule = self.subsidies.get(group)
        if rule is None:
            raise PolicyNotConfigured(
                f"No premium subsidy for the {group.value} group is configured in region {self.region} "
                f"for {self.coverage_year}; ask the policy administrator to add it before taking the payment."
            )
        return rule.subsidy(self.personal_premium)


@dataclass(frozen=True)
class WaitingPeriodRules:
    """待遇等待期 from 2025 (source 001): at least 3 months, plus 1 month per further year of interruption.

    The sources name no upper limit; `max_months` lets a region set one.
    """

    base_months: int = 3
    months_per_further_year: int = 1
    max_months: int | None = None
    applies_from_year: int = 2025

    def months(self, *, outside_payment_period: bool, interruption_years: int, coverage_year: int) -> int:
        if coverage_year < self.applies_from_year or not (outside_payment_period or interruption_years):
            return 0
        months = self.base_months + self.months_per_further_year * max(0, interruption_years - 1)
        return months if self.max_months is None else min(months, self.max_months)


@dataclass(frozen=True)
class PolicyBook:
    resident_years: tuple[ResidentYear, ...] = ()
    waiting: WaitingPeriodRules = WaitingPeriodRules()
    flexible_worker_maternity_regions: frozenset[str] = frozenset()  # e.g. Beihai, Guigang (source 000)

    def resident_year(self, region: str, coverage_year: int) -> ResidentYear:
        for candidate in (region, region[:4] + "00", region[:2] + "0000"):
            for entry in self.resident_years:
                if entry.region == candidate and entry.coverage_year == coverage_year:
                    return entry
        raise PolicyNotConfigured(
            f"The resident scheme for {coverage_year} in region {region} is not configured "
            "(payment period and premium standard); ask the policy administrator to add it."
        )

    def offers_maternity_to_flexible_workers(self, region: str) -> bool:
        return bool({region, region[:4] + "00", region[:2] + "0000"} & self.flexible_worker_maternity_regions)
