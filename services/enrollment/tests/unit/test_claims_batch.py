"""The batch path of claims.outcomes against the per-message path (a run of one), on the in-memory store."""

from __future__ import annotations

from typing import Any

from libs.contracts import claims as c
from libs.contracts.envelope import Envelope
from libs.contracts.registry import encode
from libs.contracts.topics import CLAIMS_OUTCOMES
from libs.messaging.consumer import BatchProcessor
from libs.messaging.dispatch import batch_dispatcher, dispatcher
from libs.messaging.records import Record
from services.enrollment.domain import InsuredPerson
from services.enrollment.tests.unit.claim_runs import EXPECTED_REFUSALS, envelopes, history, outgoing, run
from services.enrollment.tests.unit.service_kit import Office


async def office_with_history() -> Office:
    office = Office()
    for payload in history():
        await office.deliver(payload)
    office.db.state["outbox"] = []  # what follows is the run's
    return office


async def one_by_one(office: Office, run: list[Envelope[Any]]) -> None:
    async with office.db.transaction() as tx:
        for env in run:
            await office.service.claims_table()[type(env.payload)](tx, env)


async def as_one_run(office: Office, run: list[Envelope[Any]]) -> None:
    async with office.db.transaction() as tx:
        await office.service.claims_batch_table()[c.ClaimSettled](tx, run)


async def test_a_run_of_outcomes_stores_and_publishes_exactly_what_handling_them_one_by_one_does() -> None:
    the_run = envelopes(run())
    reference, batched = await office_with_history(), await office_with_history()
    await one_by_one(reference, the_run)
    await as_one_run(batched, the_run)
    assert batched.tables == reference.tables
    assert outgoing(batched.db.outbox) == outgoing(reference.db.outbox)


async def test_the_shared_run_takes_every_branch_it_claims_to() -> None:
    office = await office_with_history()
    await as_one_run(office, envelopes(run()))
    sent = office.published()
    assert [e.payload.reason_code for e in sent if e.event_type == "EnrollmentCommandRefused"] == EXPECTED_REFUSALS
    p1 = [(e.payload.version, e.payload.no_claim_years) for e in sent if e.event_type == "CoverageChanged"
          and e.payload.psn_no == "P1"]
    assert p1 == [(3, 4), (4, 5), (5, 6)]  # C0 recorded, C0 cancelled, OLD-2024 cancelled; C1 changed nothing
    (p2,) = [e.payload for e in sent if e.event_type == "CoverageChanged" and e.payload.psn_no == "P2"]
    assert (p2.version, p2.no_claim_years) == (2, 5)  # C5 in 2024; C2 paid nothing in 2025
    assert office.tables["persons"]["P1"]["snapshot"]["as_of"] == "2026-06-02"
    recorded = [(type(e).__name__, e.settlement_year, e.paid, e.claim_id) for e in office.tables["events"]["P1"][-3:]]
    assert recorded == [("FundPaymentYearChanged", 2025, True, "C0"), ("FundPaymentYearChanged", 2025, False, "C0"),
                        ("FundPaymentYearChanged", 2024, False, "OLD-2024")]
    assert office.tables["years"][("P1", 2026)] == 8_000  # OLD-2026 and C1: no change of the year, no event


async def test_each_person_of_a_run_is_replayed_once(monkeypatch) -> None:
    office = await office_with_history()
    replayed: list[str] = []
    replay = InsuredPerson.replay.__func__  # type: ignore[attr-defined]  # typeshed: a bound classmethod has no __func__

    def counting(cls, history):
        person = replay(cls, history)
        replayed.append(person.state.psn_no)
        return person

    monkeypatch.setattr(InsuredPerson, "replay", classmethod(counting))
    await as_one_run(office, envelopes(run()))
    assert sorted(replayed) == ["P1", "P2"]


async def test_through_the_runtime_runs_split_by_type_still_agree_with_the_per_message_handlers() -> None:
    values = [encode(env) for env in envelopes(run())]
    records = [Record(CLAIMS_OUTCOMES.name, 0, offset, b"H1", value) for offset, value in enumerate(values)]
    reference, batched = await office_with_history(), await office_with_history()
    for office, batch in ((reference, None), (batched, batched.service.claims_batch_table())):
        handler, accepted = dispatcher(office.service.claims_table())
        processor = BatchProcessor("enrollment-test", office.db, handler, accepted, batch_dispatcher(batch, accepted))
        stats = await processor.process(records)
        assert (stats.handled, stats.dead_lettered, stats.attempts) == (len(records), 0, 1)
    assert batched.tables == reference.tables
    assert outgoing(batched.db.outbox) == outgoing(reference.db.outbox)
