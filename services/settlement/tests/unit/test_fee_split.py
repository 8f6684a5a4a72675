"""Splitting fee lines by policy scope, refunds, and the lines the catalogue or the pack exclude."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from services.settlement.domain import Accumulators, FeeLine, LargeExam, ReasonCode

from .builders import (
    APPENDECTOMY,
    BED,
    CEFTRIAXONE,
    CT_HEAD,
    DOUBLE_EYELID,
    MRI_HEAD,
    SINGLE_ROOM,
    VITAMINS,
    claim,
    line,
    refund,
    reject,
    settle,
)


def parts(split):
    return (split.fulamt_ownpay_amt, split.overlmt_amt, split.preselfpay_amt, split.inscp_scp_amt)


def test_a_class_a_item_is_wholly_in_scope():
    assert parts(settle(claim(line("1", BED, 3, 35))).lines[0]) == (0, 0, 0, 10500)


def test_a_class_b_item_is_first_paid_by_its_self_pay_ratio():
    assert parts(settle(claim(line("1", CEFTRIAXONE, 3, "11.50"))).lines[0]) == (0, 0, 345, 3105)


def test_the_part_of_a_price_above_its_cap_is_self_pay():
    split = settle(claim(line("1", SINGLE_ROOM, 2, 80))).lines[0]
    assert parts(split) == (0, 6000, 0, 10000)
    assert "above the cap 50.00" in (split.note or "")


def test_a_self_pay_item_is_outside_the_scope():
    assert parts(settle(claim(line("1", APPENDECTOMY, 1, 1200), line("2", VITAMINS, 1, 60))).lines[1]) == (6000, 0, 0, 0)


def test_an_unknown_code_is_treated_as_self_pay_and_explained():
    s = settle(claim(line("1", APPENDECTOMY, 1, 1200), line("2", "ZZ-UNKNOWN", 2, 15)))
    assert parts(s.lines[1]) == (3000, 0, 0, 0)
    assert any("ZZ-UNKNOWN (not in catalogue): not in the catalogue of region 430000" in e for e in s.explanation)


def test_a_cosmetic_line_in_a_wider_bill_is_self_pay():
    s = settle(claim(line("1", APPENDECTOMY, 1, 1200), line("2", DOUBLE_EYELID, 1, 3000)))
    assert parts(s.lines[1]) == (300000, 0, 0, 0) and "cosmetic" in (s.lines[1].note or "")


def test_a_repeat_large_equipment_exam_within_30_days_is_self_pay():
    acc = Accumulators(2026, large_exams=(LargeExam(CT_HEAD, date(2026, 2, 1)),))
    s = settle(claim(line("1", APPENDECTOMY, 1, 1200), line("2", CT_HEAD, 1, 180)), acc=acc)  # 29 days later
    assert parts(s.lines[1]) == (18000, 0, 0, 0)
    assert s.delta.large_exams_added == ()


def test_the_same_exam_after_30_days_is_paid_and_recorded():
    acc = Accumulators(2026, large_exams=(LargeExam(CT_HEAD, date(2026, 1, 30)),))  # 31 days before
    s = settle(claim(line("1", CT_HEAD, 1, 180), line("2", MRI_HEAD, 1, 450)), acc=acc)
    assert parts(s.lines[0]) == (0, 0, 1800, 16200)
    assert s.delta.large_exams_added == (LargeExam(CT_HEAD, date(2026, 3, 2)), LargeExam(MRI_HEAD, date(2026, 3, 2)))


def test_every_line_splits_into_parts_that_sum_to_its_amount():
    s = settle(claim(line("1", CEFTRIAXONE, 7, "12.35"), line("2", SINGLE_ROOM, 3, "66.66"), line("3", VITAMINS, 1, 9)))
    assert all(sum(parts(split)) == split.det_item_fee_sumamt for split in s.lines)


def test_a_refund_reverses_its_share_of_the_original_lines_split():
    original = line("1", CEFTRIAXONE, 3, "12.35")  # 37.05: cap 12 → 超限价 1.05; 10% of 36.00
    s = settle(claim(original, refund("2", original, 1)))
    assert parts(s.lines[0]) == (0, 105, 360, 3240)
    assert parts(s.lines[1]) == (0, -35, -120, -1080)
    assert sum(parts(s.lines[1])) == s.lines[1].det_item_fee_sumamt == -1235


def test_refunding_every_unit_in_steps_undoes_the_line_exactly():
    original = line("1", CEFTRIAXONE, 3, "12.35")
    s = settle(claim(original, refund("2", original, 1), refund("3", original, 1), refund("4", original, 1)))
    assert tuple(map(sum, zip(*(parts(x) for x in s.lines), strict=True))) == (0, 0, 0, 0)
    assert s.amounts.medfee_sumamt == 0 and s.amounts.fund_pay_sumamt == 0


def test_a_refund_of_an_unknown_line_makes_the_claim_invalid():
    original = line("1", CEFTRIAXONE, 3, "12.35")
    stray = FeeLine("2", CEFTRIAXONE, Decimal(-1), original.pric, -1235, init_feedetl_sn="99")
    r = reject(claim(original, stray))
    assert r.reason_code == ReasonCode.INVALID_CLAIM and "99 is not a charge line" in r.reason


def test_refunding_more_than_was_sold_makes_the_claim_invalid():
    original = line("1", CEFTRIAXONE, 2, "12.35")
    r = reject(claim(original, refund("2", original, 1), refund("3", original, 2)))
    assert r.reason_code == ReasonCode.INVALID_CLAIM and "charged only 2" in r.reason


def test_a_refunded_exam_is_not_recorded_as_performed():
    exam = line("1", CT_HEAD, 1, 180)
    s = settle(claim(line("0", APPENDECTOMY, 1, 1200), exam, refund("2", exam, 1)))
    assert s.delta.large_exams_added == ()
