"""Properties of the per-line split and of yuan/fen, over many generated lines."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given
from hypothesis import strategies as st

from libs.money import line_amount
from services.gateway.domain import amounts
from services.gateway.domain.line_split import CatalogueEntry, split_line

counts = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("999"), places=4)
prices = st.decimals(min_value=Decimal("0"), max_value=Decimal("99999"), places=6)
ratios = st.decimals(min_value=Decimal("0"), max_value=Decimal("1"), places=4)
caps = st.one_of(st.none(), st.integers(min_value=0, max_value=10_000_000))


@given(counts, prices, st.sampled_from(["1", "2", "3"]), ratios, caps)
def test_the_four_parts_always_sum_to_the_line_and_class_b_rounds_half_up(cnt, pric, level, ratio, cap) -> None:
    amount = line_amount(cnt, pric)
    s = split_line(amount, cnt, CatalogueEntry("X", level, ratio if level == "2" else Decimal(0), cap))
    assert s.total == amount and min(s.fulamt_ownpay_amt, s.overlmt_amt, s.preselfpay_amt, s.inscp_scp_amt) >= 0
    if level == "2":
        expected = (Decimal(amount - s.overlmt_amt) * ratio).quantize(Decimal(1), ROUND_HALF_UP)
        assert s.preselfpay_amt == expected
    if level == "3":
        assert s.fulamt_ownpay_amt == amount


@given(st.integers(min_value=-10**15, max_value=10**15))
def test_fen_to_yuan_and_back_is_exact(fen: int) -> None:
    assert amounts.fen(amounts.yuan(fen), "x") == fen
    assert amounts.fen(str(amounts.yuan(fen)), "x") == fen
