"""Dual-channel special drugs (双通道, 三定) and maternity (生育)."""

from __future__ import annotations

from decimal import Decimal

from services.settlement.domain import Accumulators, ReasonCode, SpecialDrugDesignation

from .builders import DELIVERY, EPIDURAL, NURSING, OSIMERTINIB, PRENATAL, claim, line, reject, settle

HOSPITAL, PHARMACY, DOCTOR = "H43010200001", "P43010300007", "D430100123"
DESIGNATION = SpecialDrugDesignation(OSIMERTINIB, frozenset({HOSPITAL, PHARMACY}), DOCTOR)


def special_drug(**fields):
    defaults = dict(med_type="15", hosp_lv="3", bilg_dr_codg=DOCTOR)
    return claim(line("1", OSIMERTINIB, 1, 5100, drug_trac_codg=("81234567890123456789",)), **(defaults | fields))


def test_a_special_drug_pays_the_same_at_the_designated_hospital_and_pharmacy():
    at_hospital = settle(special_drug(fixmedins_code=HOSPITAL), special_drugs=(DESIGNATION,))
    at_pharmacy = settle(special_drug(fixmedins_code=PHARMACY, fixmedins_type="pharmacy"), special_drugs=(DESIGNATION,))
    assert at_hospital.amounts == at_pharmacy.amounts
    assert at_hospital.amounts.pool_prop_selfpay == Decimal("0.70")
    assert at_hospital.amounts.act_pay_dedc == 0
    assert at_hospital.amounts.preselfpay_amt == 25500  # 乙类 5%


def test_a_special_drug_from_another_pharmacy_is_refused():
    r = reject(special_drug(fixmedins_code="P43010300999", fixmedins_type="pharmacy"), special_drugs=(DESIGNATION,))
    assert r.reason_code == ReasonCode.SPECIAL_DRUG_CHANNEL
    assert "designated hospital or pharmacy" in r.reason


def test_a_special_drug_prescribed_by_another_doctor_is_refused():
    r = reject(special_drug(bilg_dr_codg="D430100999"), special_drugs=(DESIGNATION,))
    assert r.reason_code == ReasonCode.SPECIAL_DRUG_CHANNEL


def test_a_designation_without_a_doctor_accepts_any_prescriber():
    no_doctor = SpecialDrugDesignation(OSIMERTINIB, frozenset({HOSPITAL}))
    settle(special_drug(bilg_dr_codg="D430100999"), special_drugs=(no_doctor,))


def test_a_special_drug_without_a_designation_is_refused():
    assert reject(special_drug()).reason_code == ReasonCode.SPECIAL_DRUG_CHANNEL


def test_a_special_drug_outside_the_special_drug_channel_is_refused():
    r = reject(special_drug(med_type="11"), special_drugs=(DESIGNATION,))
    assert r.reason_code == ReasonCode.SPECIAL_DRUG_CHANNEL and "med_type 15" in r.reason


def test_a_special_drug_used_during_a_stay_needs_no_channel():
    assert settle(special_drug(med_type="21")).amounts.hifp_pay > 0


def delivery(region: str, insutype: str, *lines):
    return claim(*(lines or (line("1", DELIVERY, 1, 1000), line("2", NURSING, 3, 20))), med_type="52", hosp_lv="2",
                 insutype=insutype, insuplc_admdvs=region, mdtrtarea_admvs=region)


def test_a_resident_delivery_is_paid_up_to_the_3000_yuan_standard():
    small = settle(delivery("371300", "390"))
    assert (small.amounts.hifp_pay, small.amounts.psn_part_amt) == (106000, 0)
    large = settle(delivery("371300", "390", line("1", DELIVERY, 1, 1000), line("2", NURSING, 150, 20)))
    assert (large.amounts.hifp_pay, large.amounts.psn_part_amt) == (300000, 100000)


def test_an_employee_delivery_has_no_self_pay_within_scope():
    s = settle(delivery("371300", "310", line("1", DELIVERY, 1, 1000), line("2", NURSING, 150, 20), line("3", EPIDURAL, 1, 800)))
    assert (s.amounts.oth_pay, s.amounts.hifp_pay) == (400000, 0)
    assert s.amounts.psn_part_amt == s.amounts.fulamt_ownpay_amt == 80000  # the epidural is 自费 in Shandong
    assert [(p.fund, p.fund_pay_type) for p in s.fund_payments] == [("maternity", "510100")]


def test_prenatal_care_is_paid_up_to_its_yearly_cap():
    visit = claim(line("1", PRENATAL, 2, 50), med_type="51", hosp_lv="2")
    assert settle(visit).amounts.hifp_pay == 5000
    assert settle(visit, acc=Accumulators(2026, prenatal_paid=48000)).amounts.hifp_pay == 2000
