"""The worked examples of DOMAIN.md section 3, reproduced as closely as the parameters allow."""

from __future__ import annotations

from decimal import Decimal

from libs.money import yuan_to_fen

from .builders import (
    ANAESTHESIA,
    APPENDECTOMY,
    BED,
    BLOOD_COUNT,
    BONE_PLATE,
    CAPTOPRIL,
    CEFTRIAXONE,
    CT_HEAD,
    INFUSION_SET,
    NURSING,
    OMEPRAZOLE,
    PARACETAMOL,
    PIPERACILLIN,
    SALINE,
    VITAMINS,
    WOUND_PROTECTOR,
    claim,
    line,
    pack,
    settle,
    with_ratio,
)


def test_a_4500_yuan_bill_with_4200_in_scope_costs_the_patient_900():
    bill = claim(
        line("1", APPENDECTOMY, 1, 1200), line("2", ANAESTHESIA, 1, 900), line("3", BED, 10, 35),
        line("4", NURSING, 10, 20), line("5", SALINE, 100, 5), line("6", INFUSION_SET, 100, 5),
        line("7", BLOOD_COUNT, 10, 20), line("8", PARACETAMOL, 50, 3), line("9", CAPTOPRIL, 50, 4),
        line("10", VITAMINS, 2, 50), line("11", WOUND_PROTECTOR, 1, 200),
        hosp_lv="primary",
    )
    s = settle(bill)
    a = s.amounts
    assert (a.medfee_sumamt, a.inscp_scp_amt, a.fulamt_ownpay_amt) == (450000, 420000, 30000)
    assert a.act_pay_dedc == 20000 and a.pool_prop_selfpay == Decimal("0.90")
    assert (a.fund_pay_sumamt, a.psn_part_amt) == (360000, 90000)
    assert a.psn_part_amt - a.fulamt_ownpay_amt == 60000  # the 600 in-scope co-pay


HUNAN_RECEIPT = (
    # 乙类 lines: 先行自付 23.00 + 68.88 + 9.60 + 18.00 + 403.13 = 522.61
    line("1", CEFTRIAXONE, 20, "11.50"), line("2", PIPERACILLIN, 14, "32.80"), line("3", OMEPRAZOLE, 10, "9.60"),
    line("4", CT_HEAD, 1, 180), line("5", BONE_PLATE, 1, "1343.77"),
    # 甲类 lines: 3,187.36
    line("6", APPENDECTOMY, 1, 1200), line("7", ANAESTHESIA, 1, "867.36"), line("8", BED, 10, 35),
    line("9", NURSING, 10, 20), line("10", SALINE, 60, "4.50"), line("11", INFUSION_SET, 60, "3.20"),
    line("12", BLOOD_COUNT, 6, 18),
    # 自费 lines: 296.20
    line("13", VITAMINS, 2, "48.10"), line("14", WOUND_PROTECTOR, 1, 200),
)


def test_the_hunan_inpatient_receipt_splits_by_scope_to_the_fen():
    s = settle(claim(*HUNAN_RECEIPT, hosp_lv="2"))
    a = s.amounts
    assert a.fulamt_ownpay_amt == yuan_to_fen("296.20")
    assert a.overlmt_selfpay == 0
    assert a.preselfpay_amt == yuan_to_fen("522.61")
    assert a.inscp_scp_amt == yuan_to_fen("4973.72")
    assert a.medfee_sumamt == yuan_to_fen("5792.53")
    assert a.act_pay_dedc == yuan_to_fen("800")


def test_the_hunan_receipt_under_the_changsha_pack_pays_75_percent_above_the_deductible():
    a = settle(claim(*HUNAN_RECEIPT, hosp_lv="2")).amounts
    assert a.hifp_pay == yuan_to_fen("3130.29")  # (4,973.72 − 800) × 75%
    assert a.psn_part_amt == yuan_to_fen("2662.24")


def test_the_hunan_receipt_is_reproduced_exactly_with_a_ratio_calibrated_to_it():
    # The receipt's fund share 3,106.54 of 4,173.72 is 74.431%: no published parameter, but it shows
    # the receipt follows the same order (scope split, deductible, then one ratio on the rest).
    calibrated = with_ratio(pack("430100-390-2026"), "inpatient", "2", "0.74431")
    a = settle(claim(*HUNAN_RECEIPT, hosp_lv="2"), pack_=calibrated).amounts
    assert (a.fund_pay_sumamt, a.psn_part_amt) == (yuan_to_fen("3106.54"), yuan_to_fen("2685.99"))
