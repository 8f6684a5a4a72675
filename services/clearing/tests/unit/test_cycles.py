"""Cycles: one open per scope, closed on command or on schedule, never changed afterwards."""

from __future__ import annotations

from datetime import date

import pytest

from services.clearing.domain import NATIONAL, ClearingCycle, CycleCalendar, CycleNotDue, CycleNotOpen
from services.clearing.tests.unit import flows
from services.clearing.tests.unit.builders import CHANGSHA, LOUDI, at, settled
from services.clearing.tests.unit.fakes import DuplicateKey, InMemoryClearingRepository


async def test_the_first_fact_of_a_scope_opens_the_cycle_of_the_current_period(repo: InMemoryClearingRepository) -> None:
    await flows.receive(repo, settled("S1"), at(3, 14))
    [cycle] = await repo.open_cycles()
    assert (cycle.cycle_id, cycle.scope_key, cycle.status) == ("national/2025-03-01", "national", "open")
    assert (cycle.period_start, cycle.period_end) == (date(2025, 3, 1), date(2025, 4, 1))


async def test_a_configured_period_shapes_the_cycles(repo: InMemoryClearingRepository) -> None:
    weekly = CycleCalendar("day", 7)
    await flows.receive(repo, settled("S1"), at(1, 10), weekly)
    [cycle] = await repo.open_cycles()
    assert (cycle.period_start, cycle.period_end) == (date(2025, 1, 6), date(2025, 1, 13))


async def test_closing_opens_the_next_cycle_of_the_same_scope(repo: InMemoryClearingRepository) -> None:
    await flows.receive(repo, settled("S1"), at(1, 10))
    closing = await flows.close(repo, "national/2025-01-01", at(2, 1, 2))
    assert closing.closed.status == "closed" and closing.closed.closed_at == at(2, 1, 2)
    assert [c.cycle_id for c in await repo.open_cycles()] == ["national/2025-02-01"]
    [row] = await flows.receive(repo, settled("S2", funds={"hifp": 1}), at(2, 3))
    assert row.cycle_id == "national/2025-02-01"


async def test_the_schedule_cannot_close_a_cycle_before_its_period_ends(repo: InMemoryClearingRepository) -> None:
    await flows.receive(repo, settled("S1"), at(1, 10))
    with pytest.raises(CycleNotDue):
        await flows.close(repo, "national/2025-01-01", at(1, 31, 23), reason="schedule")
    assert (await repo.get_cycle("national/2025-01-01")).status == "open"


async def test_the_schedule_closes_every_cycle_whose_period_has_ended(repo: InMemoryClearingRepository) -> None:
    await flows.receive(repo, settled("S1"), at(1, 10))
    await flows.receive(repo, settled("S2", insured=LOUDI, treatment=CHANGSHA), at(1, 10))
    assert await flows.close_due(repo, at(1, 31, 23)) == []
    closings = await flows.close_due(repo, at(2, 1, 0))
    assert sorted(c.closed.cycle_id for c in closings) == ["national/2025-01-01", "provincial-43/2025-01-01"]
    assert all(c.closed.close_reason == "schedule" for c in closings)


async def test_a_command_may_close_a_cycle_early_and_the_next_cycle_takes_the_following_period(
    repo: InMemoryClearingRepository,
) -> None:
    await flows.receive(repo, settled("S1"), at(1, 10))
    closing = await flows.close(repo, "national/2025-01-01", at(1, 20))
    assert closing.closed.close_reason == "command"
    assert closing.next_cycle.cycle_id == "national/2025-02-01"


async def test_a_cycle_closed_late_is_followed_by_the_period_of_today(repo: InMemoryClearingRepository) -> None:
    await flows.receive(repo, settled("S1"), at(1, 10))
    closing = await flows.close(repo, "national/2025-01-01", at(3, 3), reason="schedule")
    assert closing.next_cycle.cycle_id == "national/2025-03-01"


async def test_a_closed_cycle_cannot_be_closed_again(repo: InMemoryClearingRepository) -> None:
    await flows.receive(repo, settled("S1"), at(1, 10))
    await flows.close(repo, "national/2025-01-01", at(2, 1))
    with pytest.raises(CycleNotOpen):
        await flows.close(repo, "national/2025-01-01", at(2, 2))


async def test_a_scope_never_has_two_open_cycles(repo: InMemoryClearingRepository) -> None:
    await repo.add_cycle(ClearingCycle.first(NATIONAL, at(1, 1)))
    with pytest.raises(DuplicateKey):
        await repo.add_cycle(ClearingCycle.first(NATIONAL, at(2, 1)))
