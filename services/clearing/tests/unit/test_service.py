"""The service layer: facts in the consumer's transaction, commands in their own, clearing facts emitted."""

from __future__ import annotations

from typing import Any

import pytest

from libs.contracts import clearing as contract
from libs.contracts.registry import decode
from libs.messaging.fakes import FakeDatabase
from services.clearing.domain import CycleNotClosed, CycleNotOpen
from services.clearing.service_layer.commands import (
    AdvancePrepayment,
    CloseCycle,
    ConfirmItems,
    Reconcile,
    RefundPrepayment,
    RollBackItems,
)
from services.clearing.service_layer.service import ClearingService
from services.clearing.service_layer.settlement_records import SettlementRecordsUnavailable
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
from services.clearing.tests.unit.fakes import Clock, FakeSettlementRecords, InMemoryClearingRepository

JANUARY, FEBRUARY = "national/2025-01-01", "national/2025-02-01"


async def deliver(service: ClearingService, database: FakeDatabase, *facts: Any) -> None:
    for fact in facts:
        async with database.transaction() as tx:
            await service.receive(tx, fact)


def emitted(database: FakeDatabase) -> list[Any]:
    return [decode(m.value) for m in database.outbox if m.topic == "clearing.events"]


async def test_a_cross_region_claim_is_recorded_and_a_local_one_is_not(
    service: ClearingService, database: FakeDatabase, repo: InMemoryClearingRepository,
) -> None:
    await deliver(service, database, settled("S1"), settled("L1", insured=CHANGSHA, treatment=CHANGSHA),
                  settled("P1", insured=LOUDI, treatment=CHANGSHA))
    assert sorted({(o.cycle_id, o.setl_id) for o in repo.all_obligations()}) == [
        (JANUARY, "S1"), ("provincial-43/2025-01-01", "P1"),
    ]
    assert emitted(database) == []


async def test_closing_on_command_emits_the_net_positions_keyed_by_the_cycle(
    service: ClearingService, database: FakeDatabase, clock: Clock,
) -> None:
    await deliver(service, database, settled("S1", funds={"hifp": 600}), settled("S2", insured=TAIYUAN, treatment=GUIYANG,
                                                                                  funds={"hifp": 250}))
    clock.now = at(1, 20)
    closing = await service.execute(CloseCycle(JANUARY))
    assert closing.next_cycle.cycle_id == FEBRUARY
    [message] = [m for m in database.outbox if m.topic == "clearing.events"]
    envelope = decode(message.value)
    assert (message.key, envelope.correlation_id, envelope.producer) == (JANUARY, JANUARY, "clearing")
    closed = envelope.payload
    assert isinstance(closed, contract.ClearingCycleClosed)
    assert (closed.close_reason, closed.next_cycle_id, closed.fund_pay_sumamt) == ("command", FEBRUARY, 850)
    assert {p.admdvs: p.net for p in closed.net_positions} == {CHANGSHA: -600, TAIYUAN: 350, GUIYANG: 250}
    assert sum(p.net for p in closed.net_positions) == 0


async def test_the_schedule_closes_only_cycles_whose_period_has_ended(
    service: ClearingService, database: FakeDatabase, clock: Clock,
) -> None:
    await deliver(service, database, settled("S1"))
    clock.now = at(1, 31, 23)
    assert await service.close_due() == []
    clock.now = at(2, 1, 0)
    [closing] = await service.close_due()
    assert (closing.closed.cycle_id, closing.closed.close_reason) == (JANUARY, "schedule")
    assert await service.close_due() == []


async def test_a_cycle_closed_twice_is_refused_the_second_time(service: ClearingService, database: FakeDatabase) -> None:
    await deliver(service, database, settled("S1"))
    await service.execute(CloseCycle(JANUARY))
    with pytest.raises(CycleNotOpen):
        await service.execute(CloseCycle(JANUARY))


async def test_confirming_emits_the_items_once(service: ClearingService, database: FakeDatabase) -> None:
    await deliver(service, database, settled("S1", funds={"hifp": 600}), settled("S2", funds={"hifp": 400}))
    await service.execute(CloseCycle(JANUARY))
    await service.execute(ConfirmItems(JANUARY, TAIYUAN_HOSPITAL))
    assert await service.execute(ConfirmItems(JANUARY, TAIYUAN_HOSPITAL, ("S1",))) == []
    confirmed = [e.payload for e in emitted(database) if e.event_type == "ClearingItemsConfirmed"]
    assert [(c.setl_ids, c.amount) for c in confirmed] == [(["S1", "S2"], 1_000)]


async def test_rolling_back_returns_the_item_to_the_open_cycle_and_says_so(
    service: ClearingService, database: FakeDatabase, repo: InMemoryClearingRepository,
) -> None:
    await deliver(service, database, settled("S1", funds={"hifp": 600}))
    await service.execute(CloseCycle(JANUARY))
    decisions, returned = await service.execute(RollBackItems(JANUARY, TAIYUAN_HOSPITAL, ("S1",)))
    assert [(d.setl_id, d.returned_to_cycle_id) for d in decisions] == [("S1", FEBRUARY)]
    assert [(o.cycle_id, o.kind, o.amount) for o in returned] == [(FEBRUARY, "returned", 600)]
    [event] = [e.payload for e in emitted(database) if e.event_type == "ClearingItemsRolledBack"]
    assert (event.setl_ids, event.returned_to_cycle_id, event.amount) == (["S1"], FEBRUARY, 600)


async def test_a_prepayment_is_recorded_once_with_its_balance(service: ClearingService, database: FakeDatabase) -> None:
    first = await service.execute(AdvancePrepayment("A1", "national", CHANGSHA, 1_000))
    again = await service.execute(AdvancePrepayment("A1", "national", CHANGSHA, 1_000))
    refund = await service.execute(RefundPrepayment("R1", "national", CHANGSHA, 300))
    assert [(o.recorded, o.balance) for o in (first, again, refund)] == [(True, 1_000), (False, 1_000), (True, 700)]
    events = [e for e in emitted(database) if e.event_type == "PrepaymentRecorded"]
    assert [(e.payload.kind, e.payload.balance) for e in events] == [("advanced", 1_000), ("refunded", 700)]
    assert {e.correlation_id for e in events} == {"national"}


async def test_reconciliation_asks_the_settlement_engine_for_the_cycles_period_in_china_time(
    service: ClearingService, database: FakeDatabase, settlement: FakeSettlementRecords,
) -> None:
    s1 = settled("S1", funds={"hifp": 600})
    s2 = settled("S2", funds={"hifp": 400})
    settlement.facts = [s1, s2, cancelled(s2), settled("S3", when=at(2, 1, 0))]
    await deliver(service, database, s1, s2, cancelled(s2))
    await service.execute(CloseCycle(JANUARY))
    run = await service.reconcile(Reconcile(JANUARY))
    report, reconciled_at = run.report, run.reconciled_at
    assert settlement.asked == [(at(1, 1, 0), at(2, 1, 0))]
    assert report.balanced and (report.clearing_fund_pay_sumamt, report.clearing_setl_cnt) == (600, 3)
    [event] = [e.payload for e in emitted(database) if e.event_type == "ReconciliationCompleted"]
    assert (event.balanced, event.reconciled_at, event.missing_in_clearing) == (True, reconciled_at, 0)


async def test_a_mismatch_is_counted_in_the_event_and_listed_in_the_stored_report(
    service: ClearingService, database: FakeDatabase, settlement: FakeSettlementRecords,
    repo: InMemoryClearingRepository,
) -> None:
    settlement.facts = [settled("S9", funds={"hifp": 10})]
    await deliver(service, database, settled("S1", funds={"hifp": 600}))
    await service.execute(CloseCycle(JANUARY))
    await service.reconcile(Reconcile(JANUARY))
    [event] = [e.payload for e in emitted(database) if e.event_type == "ReconciliationCompleted"]
    assert (event.balanced, event.missing_in_clearing, event.missing_in_settlement) == (False, 1, 1)
    stored = await repo.last_reconciliation(JANUARY)
    assert stored is not None and stored.report.mismatch_count == 2
    assert [(m.kind, m.setl_id) for m in await repo.mismatches(stored.run, None, 10)] == [
        ("missing_in_settlement", "S1"), ("missing_in_clearing", "S9"),
    ]
    assert repo.staged() == {}  # the engine's records were staged page by page, then dropped


async def test_a_page_staged_again_after_its_commit_was_lost_is_counted_once(
    service: ClearingService, database: FakeDatabase, settlement: FakeSettlementRecords,
    repo: InMemoryClearingRepository, monkeypatch: pytest.MonkeyPatch,
) -> None:
    settlement.facts = [settled("S1", funds={"hifp": 600})]
    await deliver(service, database, settled("S1", funds={"hifp": 600}))
    await service.execute(CloseCycle(JANUARY))
    stage = repo.stage_settlement_rows
    lost: list[int] = []  # the pages whose acknowledgement was lost

    async def committed_then_acknowledgement_lost(batch: str, page: int, rows: Any) -> None:
        await stage(batch, page, rows)  # the in-memory store keeps it: the commit went through
        if not lost:
            lost.append(page)
            raise ConnectionError("the connection dropped before the commit was acknowledged")

    monkeypatch.setattr(repo, "stage_settlement_rows", committed_then_acknowledgement_lost)
    await service.reconcile(Reconcile(JANUARY))
    stored = await repo.last_reconciliation(JANUARY)
    assert lost == [0] and stored is not None
    assert (stored.report.balanced, stored.report.settlement_fund_pay_sumamt) == (True, 600)


async def test_an_open_cycle_is_not_reconciled_and_the_engine_is_not_asked(
    service: ClearingService, database: FakeDatabase, settlement: FakeSettlementRecords,
) -> None:
    await deliver(service, database, settled("S1"))
    with pytest.raises(CycleNotClosed):
        await service.reconcile(Reconcile(JANUARY))
    assert settlement.asked == []


async def test_an_unavailable_settlement_engine_records_nothing(
    service: ClearingService, database: FakeDatabase, settlement: FakeSettlementRecords,
    repo: InMemoryClearingRepository,
) -> None:
    await deliver(service, database, settled("S1"))
    await service.execute(CloseCycle(JANUARY))
    settlement.unavailable = True
    with pytest.raises(SettlementRecordsUnavailable):
        await service.reconcile(Reconcile(JANUARY))
    assert await repo.last_reconciliation(JANUARY) is None and repo.staged() == {}


async def test_a_transient_failure_retries_the_command(service: ClearingService, database: FakeDatabase) -> None:
    database.failures_to_inject.append(ConnectionError("the database went away"))
    outcome = await service.execute(AdvancePrepayment("A1", "national", CHANGSHA, 1_000))
    assert outcome.recorded and database.commits == 1
