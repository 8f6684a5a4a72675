from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from libs.masking import mask_id_number, mask_name, mask_text, mask_value
from libs.money import MoneyError, apply_ratio, fen_to_yuan, format_yuan, line_amount, ratio, split, yuan_to_fen


def test_ratios_round_half_up_to_the_fen() -> None:
    assert apply_ratio(5, Decimal("0.5")) == 3
    assert apply_ratio(-5, Decimal("0.5")) == -3
    assert apply_ratio(120000, Decimal("0.5")) == 60000


@given(st.integers(min_value=-10**12, max_value=10**12), st.decimals(min_value=0, max_value=1, places=4))
def test_a_split_always_adds_up_to_the_amount(amount: int, r: Decimal) -> None:
    part, rest = split(amount, r)
    assert part + rest == amount


def test_yuan_are_parsed_exactly_and_floats_are_refused() -> None:
    assert yuan_to_fen("5,792.53") == 579253
    assert format_yuan(579253) == "5,792.53"
    with pytest.raises(MoneyError):
        yuan_to_fen("1.005")
    with pytest.raises(MoneyError):
        yuan_to_fen(1.5)  # type: ignore[arg-type]  # a float: refused, never rounded
    with pytest.raises(MoneyError):
        ratio("1.2")


def test_a_line_amount_is_count_times_price_rounded_half_up() -> None:
    assert line_amount(Decimal("3"), Decimal("0.345")) == 104
    assert line_amount(Decimal("-2"), Decimal("12.50")) == -2500


def test_an_id_number_keeps_only_its_region_and_last_four() -> None:
    assert mask_id_number("43010219900101123X") == "430***********123X"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_text("patient 43010219900101123X arrived") == "patient 430***********123X arrived"


def test_nested_log_values_are_masked_by_key_and_by_shape() -> None:
    masked = mask_value("cmd", {"certno": "43010219900101123X", "psn_name": "张三", "note": ["43010219900101123X"]})
    assert masked == {"certno": "430***********123X", "psn_name": "张*", "note": ["430***********123X"]}


@given(st.integers(min_value=-10**12, max_value=10**12))
def test_fen_read_as_yuan_is_exact_to_the_fen_whatever_the_sign_or_size(amount):
    as_decimal = (Decimal(amount) / 100).quantize(Decimal("0.01"))
    assert fen_to_yuan(amount) == as_decimal and str(fen_to_yuan(amount)) == str(as_decimal)
    assert format_yuan(amount) == f"{as_decimal:,.2f}"
    assert yuan_to_fen(fen_to_yuan(amount)) == amount


@pytest.mark.parametrize("bomb", ["1E+999997", "-1E+999997", "Infinity", "NaN", "1" * 5000, "1e14"])
def test_a_yuan_amount_beyond_any_bound_is_refused_at_once(bomb) -> None:
    import time

    start = time.process_time()
    with pytest.raises(MoneyError):
        yuan_to_fen(bomb)
    assert time.process_time() - start < 0.005
