"""Reconciliation of a cycle against the settlement engine's records (3201 totals, 3202 detail)."""

from __future__ import annotations

import pytest

from services.clearing.domain import ClaimFact, reconcile
from services.clearing.tests.unit import flows
from services.clearing.tests.unit.builders import CHANGSHA, LOUDI, TAIYUAN_HOSPITAL, at, cancelled, settled
from services.clearing.tests.unit.fakes import InMemoryClearingRepository

JANUARY = "national/2025-01-01"
S1 = settled("S1", funds={"hifp": 60_000, "hifmi": 5_000})
S2 = settled("S2", funds={"hifp": 20_000})


@pytest.fixture
async def january(repo: InMemoryClearingRepository) -> InMemoryClearingRepository:
    for fact in (S1, S2, cancelled(S2)):
        await flows.receive(repo, fact, at(1, 10))
    await flows.close(repo, JANUARY, at(2, 1))
    return repo


async def report_against(repo: InMemoryClearingRepository, records: list[ClaimFact]):
    return reconcile(await repo.get_cycle(JANUARY), await repo.obligations_of_cycle(JANUARY), records)


async def test_a_cycle_matching_the_settlement_records_is_balanced(january: InMemoryClearingRepository) -> None:
    report, _ = await report_against(january, [S1, S2, cancelled(S2)])
    assert report.balanced and report.totals_match
    assert (report.clearing_fund_pay_sumamt, report.clearing_setl_cnt) == (65_000, 3)


async def test_a_claim_missing_in_clearing_is_listed_with_its_amounts(january: InMemoryClearingRepository) -> None:
    report, mismatches = await report_against(january, [S1, S2, cancelled(S2), settled("S9", funds={"hifp": 1_000})])
    assert not report.totals_match
    assert [(m.kind, m.setl_id, m.fact_kind, m.fund_pay_type, m.clearing_amount, m.settlement_amount)
            for m in mismatches] == [("missing_in_clearing", "S9", "settled", "hifp", 0, 1_000)]


async def test_a_claim_missing_in_settlement_is_listed(january: InMemoryClearingRepository) -> None:
    _, mismatches = await report_against(january, [S1, S2])
    assert [(m.kind, m.setl_id, m.fact_kind, m.clearing_amount, m.settlement_amount) for m in mismatches] == [
        ("missing_in_settlement", "S2", "cancelled", -20_000, 0)
    ]


async def test_a_differing_fund_amount_is_listed_with_both_amounts(january: InMemoryClearingRepository) -> None:
    _, mismatches = await report_against(january, [settled("S1", funds={"hifp": 60_000, "hifmi": 4_900}), S2, cancelled(S2)])
    assert [(m.kind, m.setl_id, m.fund_pay_type, m.clearing_amount, m.settlement_amount) for m in mismatches] == [
        ("amount_differs", "S1", "hifmi", 5_000, 4_900)
    ]


async def test_offsetting_errors_leave_totals_matching_but_the_detail_lists_them(january: InMemoryClearingRepository) -> None:
    report, mismatches = await report_against(january, [settled("S1", funds={"hifp": 60_100, "hifmi": 4_900}), S2, cancelled(S2)])
    assert report.totals_match and not report.balanced
    assert [m.fund_pay_type for m in mismatches] == ["hifmi", "hifp"]


async def test_local_and_other_scope_records_are_ignored(january: InMemoryClearingRepository) -> None:
    local = settled("L1", insured=CHANGSHA, treatment=CHANGSHA)
    provincial = settled("P1", insured=LOUDI, treatment=CHANGSHA)
    report, _ = await report_against(january, [S1, S2, cancelled(S2), local, provincial])
    assert report.balanced


async def test_returned_items_are_not_reconciled_against_settlement(january: InMemoryClearingRepository) -> None:
    await flows.roll_back(january, JANUARY, TAIYUAN_HOSPITAL, ["S1"], at(2, 3))
    await flows.close(january, "national/2025-02-01", at(3, 1))
    february = await january.get_cycle("national/2025-02-01")
    report, _ = reconcile(february, await january.obligations_of_cycle(february.cycle_id), [])
    assert report.balanced
