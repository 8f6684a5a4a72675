"""Named parameters for the set-based statements: each name one number, casts left alone, none forgotten."""

from __future__ import annotations

import pytest

from services.settlement.adapters.sql import named


def test_each_name_gets_one_number_in_order_of_first_use_and_casts_are_left_alone():
    text, *args = named("SELECT * FROM unnest(:ids::text[], :days::date[]) WHERE x = ANY(:ids::text[])",
                        days=["d"], ids=["i"])
    assert text == "SELECT * FROM unnest($1::text[], $2::date[]) WHERE x = ANY($1::text[])"
    assert args == [["i"], ["d"]]


def test_a_parameter_missing_or_unused_is_an_error_not_a_shifted_argument():
    with pytest.raises(KeyError, match="not given"):
        named("SELECT :a, :b", a=1)
    with pytest.raises(KeyError, match="not in the statement"):
        named("SELECT :a", a=1, b=2)
