"""Inpatient parameters of DOMAIN.md section 4: deductibles by level, repeat admissions, ratios, caps."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.settlement.domain import Accumulators

from .builders import APPENDECTOMY, BED, claim, line, pack, settle

BILL = (line("1", APPENDECTOMY, 1, 1200), line("2", BED, 100, 35), line("3", BED, 200, 35))  # 11,700 in scope


@pytest.mark.parametrize(
    ("level", "deductible"),
    [("primary", 20000), ("1", 50000), ("2", 80000), ("3", 120000), ("provincial", 200000)],
)
def test_the_deductible_depends_on_the_hospital_level(level, deductible):
    assert settle(claim(*BILL, hosp_lv=level)).amounts.act_pay_dedc == deductible


def test_second_admission_pays_half_the_deductible():
    s = settle(claim(*BILL, hosp_lv="3"), acc=Accumulators(2026, admissions=1, deductible_paid=120000))
    assert s.amounts.act_pay_dedc == 60000
    assert "deductible 600.00 = 1,200.00 × 50%, 2nd admission in 2026, level-3 hospital, pack 430100-390-2026" in s.explanation


def test_the_yearly_total_of_deductibles_is_capped_at_3000_yuan():
    acc = Accumulators(2026, admissions=4, deductible_paid=260000)
    s = settle(claim(*BILL, hosp_lv="provincial"), acc=acc)  # half of 2,000 = 1,000, but only 400 left
    assert s.amounts.act_pay_dedc == 40000
    assert s.delta.deductible_paid == 40000


def test_no_deductible_is_due_once_the_yearly_cap_is_reached():
    acc = Accumulators(2026, admissions=5, deductible_paid=300000)
    assert settle(claim(*BILL, hosp_lv="3"), acc=acc).amounts.act_pay_dedc == 0


def test_the_deductible_never_exceeds_the_in_scope_costs():
    s = settle(claim(line("1", BED, 2, 35), hosp_lv="3"))
    assert (s.amounts.act_pay_dedc, s.amounts.hifp_pay) == (7000, 0)


@pytest.mark.parametrize(
    ("level", "ratio"), [("primary", "0.90"), ("1", "0.85"), ("2", "0.75"), ("3", "0.65"), ("provincial", "0.60")]
)
def test_the_fund_ratio_depends_on_the_hospital_level(level, ratio):
    s = settle(claim(*BILL, hosp_lv=level))
    assert s.amounts.pool_prop_selfpay == Decimal(ratio)
    assert s.amounts.hifp_pay == int((Decimal(1170000 - s.amounts.act_pay_dedc) * Decimal(ratio)).quantize(Decimal(1)))


def test_retired_employees_get_the_retiree_ratio():
    employee = claim(*BILL, hosp_lv="3", insutype="310", insuplc_admdvs="371300", mdtrtarea_admvs="371300")
    active = settle(employee)
    retired = settle(employee, retired=True)
    assert (active.amounts.pool_prop_selfpay, retired.amounts.pool_prop_selfpay) == (Decimal("0.80"), Decimal("0.83"))
    assert retired.amounts.hifp_pay > active.amounts.hifp_pay


def test_the_pooling_fund_stops_at_its_annual_cap():
    acc = Accumulators(2026, pooling_paid=pack().pooling_annual_cap - 100000)
    s = settle(claim(*BILL, hosp_lv="3"), acc=acc)
    assert s.amounts.hifp_pay == 100000
    assert s.delta.pooling_paid == 100000
    assert any("annual cap 150,000.00" in e for e in s.explanation)


def test_every_admission_counts_towards_the_next_ones_deductible():
    s = settle(claim(*BILL))
    assert (s.delta.admissions, s.delta.deductible_paid) == (1, 120000)
