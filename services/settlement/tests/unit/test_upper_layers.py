"""Critical illness (大病 / 大额) with the continuous-enrolment incentive, and medical assistance (医疗救助)."""

from __future__ import annotations

from services.settlement.domain import Accumulators

from .builders import APPENDECTOMY, BED, claim, line, settle

BIG_BILL = (line("1", APPENDECTOMY, 1, 1200), line("2", BED, 1000, 35))  # 36,200 in scope


def test_critical_illness_pays_nothing_below_its_threshold():
    s = settle(claim(line("1", APPENDECTOMY, 1, 1200)))  # all 1,200 is the level-3 deductible
    assert s.amounts.hifmi_pay == 0 and s.delta.critical_illness_base == 120000


def test_critical_illness_pays_its_tier_ratio_above_the_threshold():
    # co-pay: 1,200 deductible + (36,200 − 1,200) × 35% = 13,450; this year already 14,000 counted
    acc = Accumulators(2026, critical_illness_base=1400000)
    s = settle(claim(*BIG_BILL), acc=acc)
    counted = 1400000 + 1345000
    assert s.delta.critical_illness_base == 1345000
    assert s.amounts.hifmi_pay == (counted - 1500000) * 60 // 100


def test_critical_illness_moves_to_the_next_tier_above_its_bound():
    acc = Accumulators(2026, critical_illness_base=4900000)
    s = settle(claim(*BIG_BILL), acc=acc)  # 100,000 fen at 60%, 1,245,000 fen at 70%
    assert s.amounts.hifmi_pay == 100000 * 60 // 100 + 1245000 * 70 // 100


def test_critical_illness_stops_at_its_annual_cap():
    acc = Accumulators(2026, critical_illness_base=20000000, critical_illness_paid=40000000 - 5000)
    assert settle(claim(*BIG_BILL), acc=acc).amounts.hifmi_pay == 5000


def test_each_continuous_year_after_four_raises_the_cap_by_3000_yuan():
    acc = Accumulators(2026, critical_illness_base=20000000, critical_illness_paid=40000000)
    assert settle(claim(*BIG_BILL), acc=acc, continuous_years=4).amounts.hifmi_pay == 0
    s = settle(claim(*BIG_BILL), acc=acc, continuous_years=6)
    assert s.amounts.hifmi_pay == 600000
    assert any("cap 406,000.00 = 400,000.00 + 6,000.00" in e for e in s.explanation)


def test_a_no_claim_year_raises_the_cap_by_3000_yuan():
    acc = Accumulators(2026, critical_illness_base=20000000, critical_illness_paid=40000000)
    assert settle(claim(*BIG_BILL), acc=acc, no_claim_years=1).amounts.hifmi_pay == 300000


def test_the_enrolment_incentives_are_limited_in_total():
    acc = Accumulators(2026, critical_illness_base=90000000, critical_illness_paid=48000000)
    assert settle(claim(*BIG_BILL), acc=acc, continuous_years=30, no_claim_years=10).amounts.hifmi_pay == 0


def test_the_employee_large_amount_fund_pays_only_above_the_pooling_cap():
    employee = dict(insutype="310", insuplc_admdvs="371300", mdtrtarea_admvs="371300")
    below = settle(claim(*BIG_BILL, **employee))
    assert below.amounts.hifob_pay == 0
    acc = Accumulators(2026, pooling_paid=30000000 - 100000)
    above = settle(claim(*BIG_BILL, **employee), acc=acc)
    assert above.amounts.hifp_pay == 100000
    # Shandong caps the bed at 30: 31,200 in scope, 30,200 above the deductible; the fund's last
    # 1,000 covers 1,250 at 80%, and the 28,950 above the cap get 90%
    assert above.amounts.hifob_pay == 2895000 * 90 // 100
    assert above.amounts.hifmi_pay == 0
    assert [p.fund_pay_type for p in above.fund_payments] == ["310100", "330100"]


def test_medical_assistance_pays_its_groups_share_of_what_is_left():
    s = settle(claim(*BIG_BILL), hardship_group="minimum_income")
    left = s.amounts.inscp_scp_amt - s.amounts.hifp_pay - s.amounts.hifmi_pay
    assert s.amounts.maf_pay == left * 70 // 100
    assert s.delta.assistance_paid == s.amounts.maf_pay


def test_medical_assistance_stops_at_the_groups_yearly_cap():
    s = settle(claim(*BIG_BILL), hardship_group="at_risk_of_poverty", acc=Accumulators(2026, assistance_paid=1990000))
    assert s.amounts.maf_pay == 10000


def test_medical_assistance_never_pays_out_of_scope_costs():
    s = settle(claim(*BIG_BILL, line("3", "NOT-IN-CATALOGUE", 1, 500)), hardship_group="extreme_hardship")
    assert s.amounts.psn_part_amt >= s.amounts.fulamt_ownpay_amt == 50000
