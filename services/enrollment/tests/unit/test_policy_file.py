"""The shipped policy file: every region the packs cover, 2025 to 2027, and a file that does not fit stops the start."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from services.enrollment.adapters.policy_file import load_policy
from services.enrollment.bootstrap import POLICY_FILE
from services.enrollment.domain import HardshipGroup


def test_the_shipped_policy_covers_changsha_linyi_and_taiyuan_for_2025_to_2027() -> None:
    book = load_policy(POLICY_FILE)
    for region in ("430100", "371300", "140100", "140105"):
        for year in (2025, 2026, 2027):
            entry = book.resident_year(region, year)
            assert entry.payment_closes_on.isoformat() == f"{year - 1}-12-31" and entry.personal_premium > 0


def test_taiyuan_subsidises_minimum_income_households_as_shanxi_does() -> None:
    year = load_policy(POLICY_FILE).resident_year("140100", 2026)
    assert year.subsidy(HardshipGroup.MINIMUM_INCOME) == 32_000  # 80% of 400 yuan, above the 280-yuan floor
    assert year.subsidy(HardshipGroup.AT_RISK_OF_POVERTY) == 28_000


def test_a_year_naming_subsidy_rules_that_do_not_exist_is_refused(tmp_path: Path) -> None:
    text = POLICY_FILE.read_text(encoding="utf-8").replace("subsidies: shanxi_2022_2025}", "subsidies: shanxi_typo}", 1)
    (tmp_path / "policy.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError, match="shanxi_typo"):
        load_policy(tmp_path / "policy.yaml")
