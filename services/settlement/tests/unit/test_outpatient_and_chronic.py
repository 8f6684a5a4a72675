"""Resident outpatient pooling (门诊统筹) and chronic / special outpatient diseases (门诊慢特病)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest

from services.settlement.domain import Accumulators, ChronicApproval, ReasonCode

from .builders import CAPTOPRIL, CONSULTATION, DIALYSIS, IMATINIB, approved, claim, line, pack, reject, settle

TAIYUAN = dict(insuplc_admdvs="140100", mdtrtarea_admvs="140100", med_type="11", hosp_lv="primary")


def visit(*lines, **fields):
    return claim(*(lines or (line("1", CONSULTATION, 1, 10), line("2", CAPTOPRIL, 5, 4))), **(TAIYUAN | fields))


def test_outpatient_pooling_pays_its_ratio_of_eligible_costs():
    s = settle(visit())  # 30.00 in scope at 60%
    assert (s.amounts.hifp_pay, s.amounts.pool_prop_selfpay, s.amounts.act_pay_dedc) == (1800, Decimal("0.60"), 0)


def test_outpatient_pooling_pays_at_most_50_yuan_a_day():
    s = settle(visit(line("1", CONSULTATION, 1, 10), line("2", CAPTOPRIL, 50, 4)))  # 210 × 60% = 126
    assert s.amounts.hifp_pay == 5000


def test_a_second_visit_on_the_same_day_shares_the_daily_limit():
    s = settle(visit(), acc=Accumulators(2026, outpatient_pooling_paid=4000, outpatient_pooling_paid_on_day=4000))
    assert s.amounts.hifp_pay == 1000
    assert (s.delta.outpatient_pooling_paid, s.delta.outpatient_pooling_paid_on_day) == (1000, 1000)


def test_outpatient_pooling_pays_at_most_200_yuan_a_year():
    s = settle(visit(), acc=Accumulators(2026, outpatient_pooling_paid=19500))
    assert s.amounts.hifp_pay == 500


def test_the_yearly_outpatient_limit_does_not_carry_over():
    january = visit(begntime=datetime(2026, 1, 2, 9))
    assert settle(january, acc=Accumulators.empty(2026)).amounts.hifp_pay == 1800
    with pytest.raises(ValueError, match="accumulators of 2025"):
        settle(january, acc=Accumulators(2025, outpatient_pooling_paid=20000))


def test_outpatient_pooling_ratio_depends_on_the_level():
    assert settle(visit(hosp_lv="2")).amounts.pool_prop_selfpay == Decimal("0.50")


def test_no_outpatient_pooling_where_the_pack_lists_no_ratio():
    s = settle(visit(hosp_lv="3"))
    assert (s.amounts.hifp_pay, s.amounts.psn_part_amt) == (0, 3000)
    assert any("gives no outpatient pooling" in e for e in s.explanation)


def test_linyi_residents_get_65_percent_at_primary_care():
    s = settle(visit(insuplc_admdvs="371300", mdtrtarea_admvs="371300"))
    assert (s.amounts.pool_prop_selfpay, s.amounts.hifp_pay) == (Decimal("0.65"), 1950)


def test_employee_outpatient_mutual_aid_has_a_yearly_deductible():
    employee = visit(insutype="310", insuplc_admdvs="371300", mdtrtarea_admvs="371300",
                     fee_details=(line("1", CONSULTATION, 1, 10), line("2", CAPTOPRIL, 200, 4)))  # 810 in scope
    s = settle(employee, acc=Accumulators(2026, outpatient_deductible_paid=30000))
    assert s.amounts.act_pay_dedc == 20000  # 200 of the 500-yuan yearly deductible left
    assert s.amounts.hifp_pay == 36600  # (810 − 200) × 60%


def chronic_visit(disease: str, *lines, region: str = "140100", **fields):
    return claim(*lines, med_type="14", hosp_lv="2", opsp_dise_code=disease, insuplc_admdvs=region,
                 mdtrtarea_admvs=region, **fields)


def test_hypertension_and_diabetes_have_a_30_yuan_yearly_deductible():
    s = settle(chronic_visit("M03900", line("1", CAPTOPRIL, 25, 4)), chronic_approvals=approved("M03900"))
    assert (s.amounts.act_pay_dedc, s.amounts.hifp_pay) == (3000, 3500)  # (100 − 30) × 50%
    assert s.delta.chronic_deductible_paid == 3000


def test_the_chronic_deductible_is_paid_once_a_year():
    acc = Accumulators(2026, chronic_deductible_paid=3000)
    s = settle(chronic_visit("M01600", line("1", CAPTOPRIL, 25, 4)), acc=acc,
               chronic_approvals=approved("M01600"))
    assert (s.amounts.act_pay_dedc, s.amounts.hifp_pay) == (0, 5000)


def test_linyi_pays_70_percent_for_cancer_leukaemia_and_uraemia():
    for disease, bill in (("M00500", line("1", IMATINIB, 1, 1000)), ("M07800", line("1", DIALYSIS, 2, 400))):
        s = settle(chronic_visit(disease, bill, region="371300"), chronic_approvals=approved(disease))
        assert s.amounts.pool_prop_selfpay == Decimal("0.70")
        assert s.amounts.hifp_pay == s.amounts.inscp_scp_amt * 70 // 100


def test_hunan_chronic_care_has_no_deductible():
    s = settle(chronic_visit("M03900", line("1", CAPTOPRIL, 25, 4), region="430100"),
               chronic_approvals=approved("M03900"))
    assert s.amounts.act_pay_dedc == 0


def test_chronic_care_needs_an_approval_first():
    r = reject(chronic_visit("M03900", line("1", CAPTOPRIL, 25, 4)))
    assert r.reason_code == ReasonCode.CHRONIC_NOT_APPROVED
    assert "no approval (备案) for 高血压" in r.reason


def test_an_expired_chronic_approval_does_not_apply():
    expired = (ChronicApproval("M03900", date(2024, 1, 1), date(2025, 12, 31)),)
    r = reject(chronic_visit("M03900", line("1", CAPTOPRIL, 25, 4)), chronic_approvals=expired)
    assert r.reason_code == ReasonCode.CHRONIC_NOT_APPROVED


def test_a_disease_outside_the_packs_list_is_not_chronic_care():
    r = reject(chronic_visit("M99999", line("1", CAPTOPRIL, 25, 4)), chronic_approvals=approved("M99999"))
    assert r.reason_code == ReasonCode.CHRONIC_NOT_APPROVED


def test_a_pack_may_waive_the_chronic_approval():
    shanxi = pack("140100-390-2026")
    no_approval = replace(shanxi, chronic=replace(shanxi.chronic, approval_required=False))
    settle(chronic_visit("M03900", line("1", CAPTOPRIL, 25, 4)), pack_=no_approval)


def test_employees_buying_at_a_pharmacy_use_the_pharmacy_ratio():
    purchase = visit(med_type="41", insutype="310", insuplc_admdvs="371300", mdtrtarea_admvs="371300",
                     fixmedins_type="pharmacy", fee_details=(line("1", CAPTOPRIL, 10, 4),))
    s = settle(purchase, retired=True, acc=Accumulators(2026, outpatient_deductible_paid=50000))
    assert (s.amounts.pool_prop_selfpay, s.amounts.hifp_pay) == (Decimal("0.60"), 2400)
