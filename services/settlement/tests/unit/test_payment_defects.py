"""Three payment defects an auditor found (issue 17), each pinned by the rule it broke."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from libs.money import line_amount
from services.settlement.domain import FeeLine, ReasonCode, SpecialDrugDesignation

from .builders import BLOOD_COUNT, OSIMERTINIB, PATIENT, claim, line, refund, reject, settle

HOSPITAL, PHARMACY, DOCTOR = "H43010200001", "P43010300007", "D430100123"
MARCH_2 = dict(begntime=claim().begntime)


def blood_counts(med_type: str):
    return claim(line("1", BLOOD_COUNT, 20, 20), med_type=med_type, hosp_lv="3", bilg_dr_codg=DOCTOR)


# 1. med_type 15 without a designated special drug
def test_a_special_drug_bill_without_a_special_drug_is_refused_not_paid_at_the_special_drug_ratio():
    assert settle(blood_counts("11")).amounts.fund_pay_sumamt == 0
    r = reject(blood_counts("15"))
    assert r.reason_code == ReasonCode.SPECIAL_DRUG_CHANNEL
    assert "med_type 15" in r.reason


def test_the_ordinary_lines_of_a_special_drug_bill_are_not_paid_through_the_special_drug_channel():
    designation = SpecialDrugDesignation(OSIMERTINIB, frozenset({HOSPITAL}), DOCTOR)
    drug_only = settle(claim(line("1", OSIMERTINIB, 1, 5100), med_type="15", bilg_dr_codg=DOCTOR),
                       special_drugs=(designation,))
    with_tests = settle(claim(line("1", OSIMERTINIB, 1, 5100), line("2", BLOOD_COUNT, 20, 20), med_type="15",
                              bilg_dr_codg=DOCTOR), special_drugs=(designation,))
    assert with_tests.amounts.fund_pay_sumamt == drug_only.amounts.fund_pay_sumamt
    assert with_tests.amounts.fulamt_ownpay_amt == drug_only.amounts.fulamt_ownpay_amt + 40000
    assert any("line 2" in sentence and "med_type 15" in sentence for sentence in with_tests.explanation)


# 2. refunds rounded half-up by the national rule
def _third_of_a_yuan(sn: str, cnt: int) -> FeeLine:
    return line(sn, BLOOD_COUNT, cnt, "0.335")


def test_single_unit_refunds_rounded_half_up_are_accepted_and_restore_the_original_exactly():
    original = _third_of_a_yuan("1", 2)
    assert original.det_item_fee_sumamt == 67
    two_refunds = claim(original, refund("2", original, 1), refund("3", original, 1),
                        line("4", BLOOD_COUNT, 1, 20), med_type="11")
    assert [ln.det_item_fee_sumamt for ln in two_refunds.fee_details[1:3]] == [-34, -34]
    without = settle(claim(line("4", BLOOD_COUNT, 1, 20), med_type="11"))
    with_refunds = settle(two_refunds)
    assert with_refunds.amounts == without.amounts


def test_a_whole_line_refunded_at_once_restores_the_original_exactly():
    original = _third_of_a_yuan("1", 3)
    one_refund = claim(original, refund("2", original, 3), line("4", BLOOD_COUNT, 1, 20), med_type="11")
    assert settle(one_refund).amounts == settle(claim(line("4", BLOOD_COUNT, 1, 20), med_type="11")).amounts


def test_refunding_more_units_than_were_sold_is_still_refused():
    original = _third_of_a_yuan("1", 2)
    r = reject(claim(original, refund("2", original, 1), refund("3", original, 2), med_type="11"))
    assert r.reason_code == ReasonCode.INVALID_CLAIM


def test_a_refund_line_whose_amount_is_not_its_count_times_its_price_is_refused():
    original = _third_of_a_yuan("1", 2)
    wrong = FeeLine("2", BLOOD_COUNT, Decimal(-1), Decimal("0.335"), -40, init_feedetl_sn="1")
    assert line_amount(Decimal(-1), Decimal("0.335")) == -34
    assert reject(claim(original, wrong, med_type="11")).reason_code == ReasonCode.INVALID_CLAIM


# 3. designations' dates and every designation of a drug
def _osimertinib_at(place: str, **fields):
    return claim(line("1", OSIMERTINIB, 1, 5100), med_type="15", fixmedins_code=place,
                 fixmedins_type="pharmacy" if place.startswith("P") else "hospital", bilg_dr_codg=DOCTOR, **fields)


def _designated(*designations: dict):
    """The designations as enrollment's snapshot carries them (with their dates), read as settlement reads them."""
    from libs.contracts.enrollment import CoverageChanged
    from services.settlement.domain import coverage_from_message

    snapshot = CoverageChanged.model_validate({
        "psn_no": PATIENT, "version": 1, "gend": "1", "age": 36, "insutype": "390", "insuplc_admdvs": "430100",
        "active": True, "special_drugs": [{"med_list_codg": OSIMERTINIB, "bilg_dr_codg": DOCTOR} | d for d in designations]})
    return coverage_from_message(snapshot).special_drugs


def test_a_designation_valid_from_1_april_is_not_honoured_on_2_march():
    from_april = _designated({"fixmedins_codes": [HOSPITAL], "begndate": "2026-04-01"})
    r = reject(_osimertinib_at(HOSPITAL), special_drugs=from_april)
    assert r.reason_code == ReasonCode.SPECIAL_DRUG_CHANNEL and "2026-03-02" in r.reason


def test_after_a_change_of_pharmacy_the_new_designation_pays_at_once_and_the_ended_one_is_refused():
    changed = _designated({"fixmedins_codes": [PHARMACY], "begndate": "2026-01-01", "enddate": "2026-02-28"},
                          {"fixmedins_codes": ["P43010300999"], "begndate": "2026-03-01"})
    settle(_osimertinib_at("P43010300999"), special_drugs=changed)
    assert reject(_osimertinib_at(PHARMACY), special_drugs=changed).reason_code == ReasonCode.SPECIAL_DRUG_CHANNEL


def test_the_designations_dates_come_from_enrollments_snapshot():
    (designation,) = _designated({"fixmedins_codes": [HOSPITAL], "begndate": "2026-04-01", "enddate": "2026-12-31"})
    assert (designation.valid_from, designation.valid_to) == (date(2026, 4, 1), date(2026, 12, 31))


def test_every_designation_of_a_drug_is_honoured_not_only_the_first():
    at_the_hospital = SpecialDrugDesignation(OSIMERTINIB, frozenset({HOSPITAL}), DOCTOR)
    at_the_pharmacy = SpecialDrugDesignation(OSIMERTINIB, frozenset({PHARMACY}), DOCTOR)
    paid = settle(_osimertinib_at(PHARMACY), special_drugs=(at_the_hospital, at_the_pharmacy))
    assert paid.amounts.fund_pay_sumamt > 0
