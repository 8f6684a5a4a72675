"""Settled and cancelled claims become obligations between regions; redeliveries change nothing."""

from __future__ import annotations

import pytest

from services.clearing.domain import (
    NATIONAL,
    CancellationMismatch,
    ClearingCycle,
    ConflictingRedelivery,
    CycleNotOpen,
    ScopeMismatch,
    claim_fact,
)
from services.clearing.tests.unit import flows
from services.clearing.tests.unit.builders import (
    CHANGSHA,
    GUIYANG,
    LOUDI,
    TAIYUAN,
    TAIYUAN_HOSPITAL,
    at,
    cancelled,
    settled,
)
from services.clearing.tests.unit.fakes import InMemoryClearingRepository


async def test_a_cross_region_settlement_makes_the_insured_region_owe_the_treatment_region_per_fund(
    repo: InMemoryClearingRepository,
) -> None:
    rows = await flows.receive(repo, settled("S1", funds={"hifp": 60_000, "hifmi": 5_000}), at(1, 10))
    assert sorted((o.fund_pay_type, o.amount) for o in rows) == [("hifmi", 5_000), ("hifp", 60_000)]
    for o in rows:
        assert (o.kind, o.insuplc_admdvs, o.mdtrtarea_admvs) == ("settled", CHANGSHA, TAIYUAN)
        assert (o.setl_id, o.claim_id, o.fixmedins_code) == ("S1", "C-S1", TAIYUAN_HOSPITAL)
        assert o.cycle_id == "national/2025-01-01" and o.arrived_at == at(1, 10)


async def test_a_local_claim_creates_no_obligation(repo: InMemoryClearingRepository) -> None:
    assert await flows.receive(repo, settled("S1", insured=CHANGSHA, treatment=CHANGSHA), at(1, 10)) == []
    assert repo.all_cycles() == []


async def test_a_claim_no_fund_paid_creates_no_obligation(repo: InMemoryClearingRepository) -> None:
    assert await flows.receive(repo, settled("S1", funds={}), at(1, 10)) == []


async def test_a_cancellation_creates_the_opposite_obligation(repo: InMemoryClearingRepository) -> None:
    original = settled("S1", funds={"hifp": 60_000})
    await flows.receive(repo, original, at(1, 10))
    [row] = await flows.receive(repo, cancelled(original), at(1, 12))
    assert (row.kind, row.amount, row.insuplc_admdvs, row.mdtrtarea_admvs) == ("cancelled", -60_000, CHANGSHA, TAIYUAN)


async def test_the_same_fact_delivered_twice_changes_nothing(repo: InMemoryClearingRepository) -> None:
    original = settled("S1")
    await flows.receive(repo, original, at(1, 10))
    await flows.receive(repo, cancelled(original), at(1, 11))
    before = repo.snapshot()
    assert await flows.receive(repo, original, at(1, 12)) == []
    assert await flows.receive(repo, cancelled(original), at(1, 13)) == []
    assert repo.snapshot() == before


async def test_a_redelivered_fact_is_recognised_even_after_its_cycle_closed(repo: InMemoryClearingRepository) -> None:
    original = settled("S1")
    await flows.receive(repo, original, at(1, 10))
    await flows.close(repo, "national/2025-01-01", at(2, 1))
    assert await flows.receive(repo, original, at(2, 2)) == []


async def test_a_redelivery_with_other_amounts_is_refused(repo: InMemoryClearingRepository) -> None:
    await flows.receive(repo, settled("S1", funds={"hifp": 60_000}), at(1, 10))
    with pytest.raises(ConflictingRedelivery):
        await flows.receive(repo, settled("S1", funds={"hifp": 60_001}), at(1, 11))


async def test_a_cancellation_that_does_not_mirror_its_settlement_is_refused(repo: InMemoryClearingRepository) -> None:
    await flows.receive(repo, settled("S1", funds={"hifp": 60_000}), at(1, 10))
    with pytest.raises(CancellationMismatch):
        await flows.receive(repo, cancelled(settled("S1", funds={"hifp": 50_000})), at(1, 11))


async def test_a_cancellation_after_its_cycle_closed_is_an_adjustment_in_the_next_open_cycle(
    repo: InMemoryClearingRepository,
) -> None:
    original = settled("S1", funds={"hifp": 60_000})
    await flows.receive(repo, original, at(1, 10))
    closing = await flows.close(repo, "national/2025-01-01", at(2, 1))
    [row] = await flows.receive(repo, cancelled(original), at(2, 5))
    assert row.cycle_id == closing.next_cycle.cycle_id == "national/2025-02-01"
    assert row.origin_cycle_id == "national/2025-01-01" and row.is_adjustment
    assert [o.amount for o in await repo.obligations_of_cycle("national/2025-01-01")] == [60_000]


async def test_a_claim_settled_and_cancelled_in_one_cycle_nets_to_nothing(repo: InMemoryClearingRepository) -> None:
    original = settled("S1")
    await flows.receive(repo, original, at(1, 10))
    await flows.receive(repo, cancelled(original), at(1, 11))
    closing = await flows.close(repo, "national/2025-01-01", at(2, 1))
    assert all(p.net == 0 and p.gross_payable == 0 for p in closing.net_positions)
    assert await flows.detail(repo, "national/2025-01-01", TAIYUAN_HOSPITAL) == []


async def test_a_cancellation_whose_settlement_clearing_never_saw_still_lands_in_the_open_cycle(
    repo: InMemoryClearingRepository,
) -> None:
    [row] = await flows.receive(repo, cancelled(settled("S1", funds={"hifp": 100})), at(1, 10))
    assert (row.amount, row.origin_cycle_id) == (-100, None)


async def test_a_settlement_arriving_after_its_cancellation_cancels_it_out(repo: InMemoryClearingRepository) -> None:
    original = settled("S1")
    await flows.receive(repo, cancelled(original), at(1, 10))
    await flows.receive(repo, original, at(1, 11))
    assert sum(o.amount for o in await repo.obligations_of_claim("S1")) == 0


async def test_a_fact_offered_to_a_cycle_of_another_scope_is_refused() -> None:
    cycle = ClearingCycle.first(NATIONAL, at(1, 1))
    with pytest.raises(ScopeMismatch):
        cycle.record(settled("S1", insured=LOUDI, treatment=CHANGSHA), [], at(1, 2))


async def test_a_closed_cycle_admits_nothing(repo: InMemoryClearingRepository) -> None:
    await flows.receive(repo, settled("S1"), at(1, 10))
    cycle = await repo.get_cycle("national/2025-01-01")
    await flows.close(repo, cycle.cycle_id, at(2, 1))
    with pytest.raises(CycleNotOpen):
        (await repo.get_cycle(cycle.cycle_id)).record(settled("S2"), [], at(2, 2))


async def test_province_internal_and_cross_province_claims_land_in_separate_cycles(repo: InMemoryClearingRepository) -> None:
    [national] = await flows.receive(repo, settled("S1", insured=CHANGSHA, treatment=GUIYANG, funds={"hifp": 1}), at(1, 10))
    [provincial] = await flows.receive(repo, settled("S2", insured=LOUDI, treatment=CHANGSHA, funds={"hifp": 1}), at(1, 10))
    assert national.cycle_id == "national/2025-01-01"
    assert provincial.cycle_id == "provincial-43/2025-01-01"


async def test_a_fact_may_carry_its_own_settlement_time_but_lands_by_arrival(repo: InMemoryClearingRepository) -> None:
    await flows.receive(repo, settled("S0"), at(1, 5))
    await flows.close(repo, "national/2025-01-01", at(2, 1))
    fact = claim_fact("settled", setl_id="S1", claim_id="C1", fixmedins_code=TAIYUAN_HOSPITAL,
                      insuplc_admdvs=CHANGSHA, mdtrtarea_admvs=TAIYUAN, occurred_at=at(1, 31, 23),
                      fund_rows=[("hifp", 100)])
    [row] = await flows.receive(repo, fact, at(2, 1, 9))
    assert row.cycle_id == "national/2025-02-01" and row.occurred_at == at(1, 31, 23)
