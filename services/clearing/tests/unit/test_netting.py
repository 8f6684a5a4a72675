"""Multilateral netting and the statements of regions and institutions."""

from __future__ import annotations

from services.clearing.domain import (
    NATIONAL,
    ClearingCycle,
    Counterparty,
    advance_prepayment,
    institution_statements,
    net_positions,
    region_counterparties,
)
from services.clearing.tests.unit import flows
from services.clearing.tests.unit.builders import (
    CHANGSHA,
    CHANGSHA_HOSPITAL,
    GUIYANG,
    GUIYANG_HOSPITAL,
    TAIYUAN,
    TAIYUAN_HOSPITAL,
    at,
    cancelled,
    settled,
)
from services.clearing.tests.unit.fakes import InMemoryClearingRepository

JANUARY = "national/2025-01-01"
YUAN = 100


async def deliver_the_documented_example(repo: InMemoryClearingRepository) -> None:
    """docs/clearing.md, "A worked example": three regions, five flows, two prepayments."""
    for setl_id, insured, treatment, yuan in [
        ("S1", CHANGSHA, TAIYUAN, 5_000), ("S2", TAIYUAN, CHANGSHA, 2_000), ("S3", GUIYANG, CHANGSHA, 3_000),
        ("S4", CHANGSHA, GUIYANG, 1_000), ("S5", TAIYUAN, GUIYANG, 4_000),
    ]:
        await flows.receive(repo, settled(setl_id, insured=insured, treatment=treatment, funds={"hifp": yuan * YUAN}), at(1, 10))
    for region, yuan in [(CHANGSHA, 1_500), (GUIYANG, 800)]:
        entry = advance_prepayment([], entry_id=f"advance-{region}", scope_key="national", admdvs=region,
                                   amount=yuan * YUAN, at=at(1, 2))
        assert entry is not None
        await repo.add_prepayments([entry])


async def test_three_regions_net_as_in_the_documented_example(repo: InMemoryClearingRepository) -> None:
    await deliver_the_documented_example(repo)
    closing = await flows.close(repo, JANUARY, at(2, 1))
    table = {
        p.admdvs: (p.gross_payable, p.gross_receivable, p.net, p.prepayment_applied, p.cash_to_pay, p.cash_to_receive)
        for p in closing.net_positions
    }
    assert table == {
        CHANGSHA: (6_000 * YUAN, 5_000 * YUAN, -1_000 * YUAN, 1_000 * YUAN, 0, 0),
        TAIYUAN: (6_000 * YUAN, 5_000 * YUAN, -1_000 * YUAN, 0, 1_000 * YUAN, 0),
        GUIYANG: (3_000 * YUAN, 5_000 * YUAN, 2_000 * YUAN, 0, 0, 2_000 * YUAN),
    }
    assert await repo.net_positions(JANUARY) == closing.net_positions


async def test_in_the_documented_example_each_hospital_is_owed_what_its_region_receives_gross(
    repo: InMemoryClearingRepository,
) -> None:
    await deliver_the_documented_example(repo)
    await flows.close(repo, JANUARY, at(2, 1))
    statements = {s.fixmedins_code: (s.owed, s.by_insured_region) for s in institution_statements(await repo.institution_totals(JANUARY))}
    assert statements == {
        CHANGSHA_HOSPITAL: (5_000 * YUAN, ((TAIYUAN, 2_000 * YUAN), (GUIYANG, 3_000 * YUAN))),
        GUIYANG_HOSPITAL: (5_000 * YUAN, ((TAIYUAN, 4_000 * YUAN), (CHANGSHA, 1_000 * YUAN))),
        TAIYUAN_HOSPITAL: (5_000 * YUAN, ((CHANGSHA, 5_000 * YUAN),)),
    }


async def test_a_regions_statement_lists_each_counterparty_and_adds_up_to_its_gross_figures(
    repo: InMemoryClearingRepository,
) -> None:
    await deliver_the_documented_example(repo)
    closing = await flows.close(repo, JANUARY, at(2, 1))
    lines = region_counterparties(CHANGSHA, await repo.bilateral_totals(JANUARY))
    assert lines == [  # sorted by region code: Taiyuan 140100, Guiyang 520100
        Counterparty(TAIYUAN, payable=5_000 * YUAN, receivable=2_000 * YUAN),
        Counterparty(GUIYANG, payable=1_000 * YUAN, receivable=3_000 * YUAN),
    ]
    changsha = next(p for p in closing.net_positions if p.admdvs == CHANGSHA)
    assert sum(line.payable for line in lines) == changsha.gross_payable
    assert sum(line.receivable for line in lines) == changsha.gross_receivable


def test_a_late_cancellation_makes_the_treatment_region_owe_the_insured_region_in_its_statement() -> None:
    bilateral = {(CHANGSHA, TAIYUAN): -700}
    assert region_counterparties(TAIYUAN, bilateral) == [Counterparty(CHANGSHA, payable=700, receivable=0)]
    assert region_counterparties(CHANGSHA, bilateral) == [Counterparty(TAIYUAN, payable=0, receivable=700)]


async def test_care_in_both_directions_shows_in_both_gross_figures() -> None:
    [taiyuan, changsha] = net_positions(JANUARY, {(CHANGSHA, TAIYUAN): 100, (TAIYUAN, CHANGSHA): 30})
    assert (taiyuan.admdvs, taiyuan.gross_payable, taiyuan.gross_receivable, taiyuan.net) == (TAIYUAN, 30, 100, 70)
    assert (changsha.admdvs, changsha.gross_payable, changsha.gross_receivable, changsha.net) == (CHANGSHA, 100, 30, -70)


async def test_a_late_cancellation_alone_makes_the_treatment_region_pay_back(repo: InMemoryClearingRepository) -> None:
    original = settled("S1", funds={"hifp": 60_000})
    await flows.receive(repo, original, at(1, 10))
    await flows.close(repo, JANUARY, at(2, 1))
    await flows.receive(repo, cancelled(original), at(2, 10))
    closing = await flows.close(repo, "national/2025-02-01", at(3, 1))
    positions = {p.admdvs: p for p in closing.net_positions}
    assert (positions[TAIYUAN].gross_payable, positions[TAIYUAN].cash_to_pay) == (60_000, 60_000)
    assert (positions[CHANGSHA].gross_receivable, positions[CHANGSHA].cash_to_receive) == (60_000, 60_000)


async def test_an_empty_cycle_closes_with_no_positions(repo: InMemoryClearingRepository) -> None:
    await repo.add_cycle(ClearingCycle.first(NATIONAL, at(1, 1)))
    assert (await flows.close(repo, JANUARY, at(2, 1))).net_positions == []
