"""Shanxi 2022–2025 (source 003): 特困 full, 低保 80% (低于280元按280元资助), 易返贫致贫 280 yuan, 返贫致贫 90%."""

import pytest

from libs.money import ratio
from services.enrollment.domain import SHANXI_SUBSIDIES_2022_2025, HardshipGroup, SubsidyKind, SubsidyRule
from services.enrollment.domain.errors import PolicyNotConfigured
from services.enrollment.tests.unit.builders import resident_year

SHANXI = SHANXI_SUBSIDIES_2022_2025


def test_people_in_extreme_hardship_have_the_whole_premium_paid():
    assert SHANXI[HardshipGroup.EXTREME_HARDSHIP].subsidy(32_000) == 32_000


def test_minimum_income_households_get_80_percent_but_never_less_than_280_yuan():
    rule = SHANXI[HardshipGroup.MINIMUM_INCOME]
    assert rule.subsidy(32_000) == 28_000  # 80% of 320 is 256, below 280, so 280
    assert rule.subsidy(35_000) == 28_000  # 80% of 350 is exactly 280
    assert rule.subsidy(40_000) == 32_000  # 80% of 400 is 320, above the floor


def test_the_280_yuan_floor_never_exceeds_the_premium_itself():
    assert SHANXI[HardshipGroup.MINIMUM_INCOME].subsidy(25_000) == 25_000


def test_people_at_risk_of_returning_to_poverty_get_a_fixed_280_yuan():
    assert SHANXI[HardshipGroup.AT_RISK_OF_POVERTY].subsidy(32_000) == 28_000
    assert SHANXI[HardshipGroup.AT_RISK_OF_POVERTY].subsidy(38_000) == 28_000


def test_people_returned_to_poverty_get_90_percent():
    assert SHANXI[HardshipGroup.RETURNED_TO_POVERTY].subsidy(32_000) == 28_800


@pytest.mark.parametrize(("premium", "share", "subsidy"), [(35_003, "0.80", 28_002), (31_005, "0.90", 27_905), (30_003, "0.90", 27_003)])
def test_a_ratio_subsidy_is_rounded_half_up_to_the_fen(premium, share, subsidy):
    assert SubsidyRule(SubsidyKind.RATIO, ratio(share)).subsidy(premium) == subsidy


def test_the_person_pays_the_premium_standard_less_the_subsidy():
    year = resident_year(2025)
    assert year.personal_premium - year.subsidy(HardshipGroup.MINIMUM_INCOME) == 4_000
    assert year.personal_premium - year.subsidy(HardshipGroup.RETURNED_TO_POVERTY) == 3_200
    assert year.subsidy(HardshipGroup.NONE) == 0


def test_a_hardship_group_without_configured_rules_is_refused_rather_than_charged_in_full():
    year = resident_year(2025, subsidies={})
    with pytest.raises(PolicyNotConfigured, match="at_risk_of_poverty"):
        year.subsidy(HardshipGroup.AT_RISK_OF_POVERTY)
