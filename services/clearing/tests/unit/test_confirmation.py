"""Institutions confirm (3261) or roll back (3262) their items of a closed cycle (3260)."""

from __future__ import annotations

import pytest

from services.clearing.domain import (
    CycleNotClosed,
    ItemNotInDetail,
    ItemRolledBack,
    institution_payable,
    institution_statements,
)
from services.clearing.tests.unit import flows
from services.clearing.tests.unit.builders import (
    CHANGSHA,
    GUIYANG,
    GUIYANG_HOSPITAL,
    TAIYUAN,
    TAIYUAN_HOSPITAL,
    at,
    cancelled,
    settled,
)
from services.clearing.tests.unit.fakes import InMemoryClearingRepository

JANUARY, FEBRUARY = "national/2025-01-01", "national/2025-02-01"


@pytest.fixture
async def closed_january(repo: InMemoryClearingRepository) -> InMemoryClearingRepository:
    await flows.receive(repo, settled("S1", funds={"hifp": 60_000, "hifmi": 5_000}), at(1, 10))
    await flows.receive(repo, settled("S2", funds={"hifp": 20_000}), at(1, 11))
    await flows.receive(repo, settled("S3", treatment=GUIYANG, funds={"hifp": 7_000}), at(1, 12))
    await flows.close(repo, JANUARY, at(2, 1))
    return repo


async def test_the_institution_sees_only_its_own_items_of_a_closed_cycle(closed_january: InMemoryClearingRepository) -> None:
    lines = await flows.detail(closed_january, JANUARY, TAIYUAN_HOSPITAL)
    assert [(line.setl_id, line.funds, line.amount, line.status) for line in lines] == [
        ("S1", (("hifmi", 5_000), ("hifp", 60_000)), 65_000, "pending"),
        ("S2", (("hifp", 20_000),), 20_000, "pending"),
    ]


async def test_the_detail_of_an_open_cycle_is_refused(repo: InMemoryClearingRepository) -> None:
    await flows.receive(repo, settled("S1"), at(1, 10))
    with pytest.raises(CycleNotClosed):
        await flows.detail(repo, JANUARY, TAIYUAN_HOSPITAL)


async def test_confirmed_items_become_payable_to_the_institution(closed_january: InMemoryClearingRepository) -> None:
    await flows.confirm(closed_january, JANUARY, TAIYUAN_HOSPITAL, ["S1"], at(2, 3))
    payable = institution_payable(await flows.detail(closed_january, JANUARY, TAIYUAN_HOSPITAL))
    assert (payable.confirmed, payable.pending, payable.rolled_back) == (65_000, 20_000, 0)


async def test_confirming_the_whole_part_confirms_every_pending_item(closed_january: InMemoryClearingRepository) -> None:
    rows = await flows.confirm(closed_january, JANUARY, TAIYUAN_HOSPITAL, None, at(2, 3))
    assert sorted(r.setl_id for r in rows) == ["S1", "S2"]


async def test_confirming_twice_changes_nothing(closed_january: InMemoryClearingRepository) -> None:
    await flows.confirm(closed_january, JANUARY, TAIYUAN_HOSPITAL, ["S1"], at(2, 3))
    before = closed_january.snapshot()
    assert await flows.confirm(closed_january, JANUARY, TAIYUAN_HOSPITAL, ["S1"], at(2, 4)) == []
    assert closed_january.snapshot() == before


async def test_an_item_of_another_institution_cannot_be_confirmed(closed_january: InMemoryClearingRepository) -> None:
    with pytest.raises(ItemNotInDetail):
        await flows.confirm(closed_january, JANUARY, GUIYANG_HOSPITAL, ["S1"], at(2, 3))


async def test_a_rolled_back_item_returns_to_the_next_cycle_referencing_the_original(
    closed_january: InMemoryClearingRepository,
) -> None:
    decisions, returned = await flows.roll_back(closed_january, JANUARY, TAIYUAN_HOSPITAL, ["S1"], at(2, 3))
    assert [(d.setl_id, d.decision, d.returned_to_cycle_id) for d in decisions] == [("S1", "rolled_back", FEBRUARY)]
    assert sorted((o.cycle_id, o.kind, o.fund_pay_type, o.amount, o.origin_cycle_id) for o in returned) == [
        (FEBRUARY, "returned", "hifmi", 5_000, JANUARY),
        (FEBRUARY, "returned", "hifp", 60_000, JANUARY),
    ]


async def test_rolling_back_is_a_new_fact_and_leaves_the_closed_cycle_untouched(
    closed_january: InMemoryClearingRepository,
) -> None:
    rows_before = await closed_january.obligations_of_cycle(JANUARY)
    positions_before = await closed_january.net_positions(JANUARY)
    await flows.roll_back(closed_january, JANUARY, TAIYUAN_HOSPITAL, ["S1"], at(2, 3))
    assert await closed_january.obligations_of_cycle(JANUARY) == rows_before
    assert await closed_january.net_positions(JANUARY) == positions_before
    assert (await closed_january.get_cycle(JANUARY)).status == "closed"
    [line, _] = await flows.detail(closed_january, JANUARY, TAIYUAN_HOSPITAL)
    assert (line.setl_id, line.status) == ("S1", "rolled_back")


async def test_a_returned_item_moves_no_money_between_regions_but_is_owed_to_the_institution(
    closed_january: InMemoryClearingRepository,
) -> None:
    await flows.roll_back(closed_january, JANUARY, TAIYUAN_HOSPITAL, ["S1"], at(2, 3))
    closing = await flows.close(closed_january, FEBRUARY, at(3, 1))
    assert closing.net_positions == []
    [statement] = institution_statements(await closed_january.institution_totals(FEBRUARY))
    assert (statement.fixmedins_code, statement.owed) == (TAIYUAN_HOSPITAL, 65_000)
    [line] = await flows.detail(closed_january, FEBRUARY, TAIYUAN_HOSPITAL)
    assert (line.setl_id, line.amount, line.status) == ("S1", 65_000, "pending")


async def test_a_rolled_back_item_cannot_be_confirmed_in_its_original_cycle(
    closed_january: InMemoryClearingRepository,
) -> None:
    await flows.roll_back(closed_january, JANUARY, TAIYUAN_HOSPITAL, ["S1"], at(2, 3))
    with pytest.raises(ItemRolledBack):
        await flows.confirm(closed_january, JANUARY, TAIYUAN_HOSPITAL, ["S1"], at(2, 4))


async def test_rolling_back_twice_changes_nothing(closed_january: InMemoryClearingRepository) -> None:
    await flows.roll_back(closed_january, JANUARY, TAIYUAN_HOSPITAL, ["S1"], at(2, 3))
    before = closed_january.snapshot()
    assert await flows.roll_back(closed_january, JANUARY, TAIYUAN_HOSPITAL, ["S1"], at(2, 4)) == ([], [])
    assert closed_january.snapshot() == before


async def test_a_confirmed_item_can_still_be_rolled_back(closed_january: InMemoryClearingRepository) -> None:
    await flows.confirm(closed_january, JANUARY, TAIYUAN_HOSPITAL, ["S2"], at(2, 3))
    await flows.roll_back(closed_january, JANUARY, TAIYUAN_HOSPITAL, ["S2"], at(2, 4))
    payable = institution_payable(await flows.detail(closed_january, JANUARY, TAIYUAN_HOSPITAL))
    assert (payable.confirmed, payable.pending, payable.rolled_back) == (0, 65_000, 20_000)


async def test_a_rolled_back_item_returns_to_the_open_cycle_when_the_next_one_has_closed_too(
    closed_january: InMemoryClearingRepository,
) -> None:
    await flows.close(closed_january, FEBRUARY, at(3, 1))
    [_, returned] = await flows.roll_back(closed_january, JANUARY, TAIYUAN_HOSPITAL, ["S2"], at(3, 2))
    assert {o.cycle_id for o in returned} == {"national/2025-03-01"}


async def test_a_claim_that_netted_to_nothing_is_not_an_item(repo: InMemoryClearingRepository) -> None:
    original = settled("S1")
    await flows.receive(repo, original, at(1, 10))
    await flows.receive(repo, cancelled(original), at(1, 11))
    await flows.close(repo, JANUARY, at(2, 1))
    assert await flows.detail(repo, JANUARY, TAIYUAN_HOSPITAL) == []
    with pytest.raises(ItemNotInDetail):
        await flows.roll_back(repo, JANUARY, TAIYUAN_HOSPITAL, ["S1"], at(2, 2))


async def test_a_returned_item_later_cancelled_nets_to_nothing_for_the_institution_and_pays_the_region_back(
    closed_january: InMemoryClearingRepository,
) -> None:
    await flows.roll_back(closed_january, JANUARY, TAIYUAN_HOSPITAL, ["S2"], at(2, 3))
    await flows.receive(closed_january, cancelled(settled("S2", funds={"hifp": 20_000})), at(2, 5))
    closing = await flows.close(closed_january, FEBRUARY, at(3, 1))
    assert await flows.detail(closed_january, FEBRUARY, TAIYUAN_HOSPITAL) == []
    positions = {p.admdvs: p.net for p in closing.net_positions}
    assert positions == {CHANGSHA: 20_000, TAIYUAN: -20_000}
