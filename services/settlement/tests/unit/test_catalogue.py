"""Catalogues are data too: one CSV per region, refused with the line and column of a fault."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.settlement.domain import NoCatalogue, ReferenceDataError, parse_catalogue

from .builders import CEFTRIAXONE, CT_HEAD, DOUBLE_EYELID, OSIMERTINIB, catalogue_for, catalogues

HEADER = "med_list_codg,name,chrgitm_lv,selfpay_prop,pric_uplmt_amt,large_equipment,cosmetic,special_drug"


def test_each_province_has_a_catalogue_with_a_few_dozen_items():
    assert {c.region: len(c.items) >= 30 for c in catalogues()} == {"140000": True, "370000": True, "430000": True}


def test_a_city_is_served_by_its_provinces_catalogue():
    assert catalogue_for("430102").region == "430000"


def test_a_region_without_a_catalogue_is_refused():
    with pytest.raises(NoCatalogue):
        catalogue_for("650100")


def test_items_carry_their_class_ratio_cap_and_flags():
    hunan = catalogue_for("430100")
    item = hunan.items[CEFTRIAXONE]
    assert (item.chrgitm_lv, item.selfpay_prop, item.pric_uplmt_amt) == ("2", Decimal("0.10"), 1200)
    assert hunan.items[CT_HEAD].large_equipment and hunan.items[DOUBLE_EYELID].cosmetic and hunan.items[OSIMERTINIB].special_drug


def test_provinces_set_their_own_self_pay_ratios():
    assert catalogue_for("371300").items[CEFTRIAXONE].selfpay_prop == Decimal("0.05")


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("X1,药,4,,,,,", "line 3, column chrgitm_lv: expected 1 (甲), 2 (乙) or 3 (自费)"),
        ("X1,药,2,,,,,", "line 3, column selfpay_prop: a 乙类 item needs a ratio"),
        ("X1,药,1,0.1,,,,", "line 3, column selfpay_prop: only 乙类 (class 2) items"),
        ("X1,药,1,,12.5,,,", "line 3, column pric_uplmt_amt: expected a whole number of fen"),
        ("X1,药,1,,,yes,,", "line 3, column large_equipment: expected 1, 0 or empty"),
        ("X1,药,1,,", "line 3: expected 8 columns, got 5"),
    ],
)
def test_a_broken_row_is_refused_with_its_line_and_column(row, message):
    with pytest.raises(ReferenceDataError) as caught:
        parse_catalogue(f"# comment\n{HEADER}\n{row}\n", "430000", "430000.csv")
    assert str(caught.value).startswith(f"430000.csv: {message}")
