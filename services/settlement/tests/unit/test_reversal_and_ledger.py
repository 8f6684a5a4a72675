"""Cancelling a settlement and the funds' double-entry postings."""

from __future__ import annotations

from datetime import date

from services.settlement.domain import Accumulators, CrossRegionFiling, LargeExam, balances, fund_postings, reverse

from .builders import APPENDECTOMY, BED, CT_HEAD, claim, line, settle

BIG_BILL = (line("1", APPENDECTOMY, 1, 1200), line("2", BED, 1000, 35), line("3", CT_HEAD, 1, 180))


def test_the_cancellation_delta_is_the_settlement_delta_negated():
    s = settle(claim(*BIG_BILL))
    undo = reverse(s)
    assert undo.delta.pooling_paid == -s.delta.pooling_paid and undo.delta.admissions == -1
    assert undo.delta.large_exams_removed == s.delta.large_exams_added == (LargeExam(CT_HEAD, date(2026, 3, 2)),)


def test_settle_then_cancel_restores_every_accumulator():
    before = Accumulators(2026, admissions=1, deductible_paid=120000, critical_illness_base=1400000,
                          large_exams=(LargeExam(CT_HEAD, date(2026, 1, 2)),))
    s = settle(claim(*BIG_BILL), acc=before, hardship_group="minimum_income")
    after = before.apply(s.delta)
    assert after != before
    assert after.apply(reverse(s).delta) == before


def test_a_local_settlement_debits_each_fund_and_credits_the_hospital():
    s = settle(claim(*BIG_BILL), acc=Accumulators(2026, critical_illness_base=1400000))
    assert balances(fund_postings(s)) == {
        "fund:430100:pooling:expense": s.amounts.hifp_pay,
        "fund:430100:critical_illness:expense": s.amounts.hifmi_pay,
        "payable:430100:H43010200001": -s.amounts.fund_pay_sumamt,
    }


def test_a_cross_region_settlement_clears_through_the_treatment_region():
    filing = CrossRegionFiling("371300", date(2026, 1, 1))
    s = settle(claim(*BIG_BILL, mdtrtarea_admvs="371300", fixmedins_code="H37130000001"), filings=(filing,))
    assert balances(fund_postings(s)) == {
        "fund:430100:pooling:expense": s.amounts.hifp_pay,
        "clearing:430100:pooling:due_to:371300": -s.amounts.hifp_pay,
        "clearing:371300:pooling:due_from:430100": s.amounts.hifp_pay,
        "payable:371300:H37130000001": -s.amounts.hifp_pay,
    }


def test_each_regions_postings_balance_on_their_own():
    filing = CrossRegionFiling("371300", date(2026, 1, 1))
    s = settle(claim(*BIG_BILL, mdtrtarea_admvs="371300"), filings=(filing,))
    for region in ("430100", "371300"):
        mine = [p for p in fund_postings(s) if p.account.split(":")[1] == region]
        assert sum(p.debit for p in mine) == sum(p.credit for p in mine) > 0


def test_the_contra_postings_bring_every_balance_back_to_zero():
    s = settle(claim(*BIG_BILL), hardship_group="extreme_hardship")
    assert balances(fund_postings(s) + reverse(s).postings) == {}


def test_a_cancellation_releases_the_traceability_codes_it_sold():
    s = settle(claim(line("1", "XC09AAA069A001010101449", 1, 4, drug_trac_codg=("81000000000000000001",))))
    assert reverse(s).traceability_codes_released == ("81000000000000000001",)


def test_the_counters_are_declared_once_for_the_accumulators_and_their_delta():
    from dataclasses import fields

    from services.settlement.domain import COUNTERS, AccumulatorDelta, Accumulators

    assert tuple(f.name for f in fields(Accumulators) if f.name in COUNTERS) == COUNTERS
    assert tuple(f.name for f in fields(AccumulatorDelta) if f.name in COUNTERS) == COUNTERS
    assert {f.name for f in fields(Accumulators)} - set(COUNTERS) == {"year", "large_exams"}
