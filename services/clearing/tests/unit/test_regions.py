"""Which platform clears a claim: none, a province's, or the national one."""

from __future__ import annotations

import pytest

from services.clearing.domain import NATIONAL, ClearingScope, InvalidRegionCode, clearing_scope_of
from services.clearing.tests.unit.builders import CHANGSHA, LOUDI, TAIYUAN


def test_a_claim_treated_in_its_insured_region_is_not_cleared() -> None:
    assert clearing_scope_of(CHANGSHA, CHANGSHA) is None


def test_a_claim_across_provinces_is_cleared_at_the_national_level() -> None:
    assert clearing_scope_of(CHANGSHA, TAIYUAN) == NATIONAL
    assert NATIONAL.key == "national"


def test_a_claim_between_two_cities_of_one_province_is_cleared_by_that_provinces_platform() -> None:
    scope = clearing_scope_of(LOUDI, CHANGSHA)
    assert scope == ClearingScope("provincial", "43")
    assert scope is not None and scope.key == "provincial-43"


@pytest.mark.parametrize("code", ["43010", "4301000", "43O100", ""])
def test_a_region_code_that_is_not_six_digits_is_refused(code: str) -> None:
    with pytest.raises(InvalidRegionCode):
        clearing_scope_of(code, TAIYUAN)


@pytest.mark.parametrize("key", ["national", "provincial-43"])
def test_a_scope_is_named_by_a_key_that_round_trips(key: str) -> None:
    assert ClearingScope.from_key(key).key == key


def test_a_provincial_scope_without_a_province_is_refused() -> None:
    with pytest.raises(InvalidRegionCode):
        ClearingScope("provincial")
