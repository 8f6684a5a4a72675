"""The consumer runtime against an in-memory database: dedupe, dead letters, retries."""

from __future__ import annotations

import pytest

from libs.contracts.envelope import new_envelope
from libs.contracts.registry import encode
from libs.contracts.topics import WALLET_COMMANDS
from libs.contracts.wallet import AccountCredited, CreditPersonalAccount
from libs.messaging.consumer import BatchProcessor
from libs.messaging.dispatch import batch_dispatcher
from libs.messaging.emit import emit
from libs.messaging.fakes import FakeDatabase
from libs.messaging.records import DLQ_HEADERS, Record
from libs.retry import RetryPolicy


def credit(credit_id: str, amount: int = 100) -> bytes:
    payload = CreditPersonalAccount(credit_id=credit_id, psn_no="P1", amount=amount, kind="contribution", year=2026)
    return encode(new_envelope(payload, producer="test", correlation_id=credit_id))


def records(*values: bytes) -> list[Record]:
    return [Record("wallet.commands", 0, offset, b"P1", value) for offset, value in enumerate(values)]


async def count_credits(tx, env) -> None:
    tx.conn.setdefault("credited", []).append(env.payload.credit_id)


def processor(db: FakeDatabase, handler=count_credits) -> BatchProcessor:
    return BatchProcessor("wallet-test", db, handler, frozenset({"CreditPersonalAccount"}),
                          retry=RetryPolicy(attempts=3, first_delay=0.0))


async def test_a_redelivered_message_changes_nothing() -> None:
    db = FakeDatabase()
    batch = records(credit("c1"), credit("c2"))
    await processor(db).process(batch)
    stats = await processor(db).process(batch)
    assert db.state["credited"] == ["c1", "c2"]
    assert stats.duplicates == 2


async def test_the_same_message_twice_in_one_batch_is_handled_once() -> None:
    db = FakeDatabase()
    value = credit("c1")
    await processor(db).process(records(value, value))
    assert db.state["credited"] == ["c1"]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"not json at all", "not JSON"),
        (b'{"event_type": "CreditPersonalAccount"}', "invalid envelope"),
        (credit("c9", amount=1).replace(b'"amount":1', b'"amount":"lots"'), "invalid CreditPersonalAccount"),
        (credit("c9").replace(b"CreditPersonalAccount", b"LaunchRocket"), "unknown event type"),
    ],
)
async def test_a_malformed_message_is_dead_lettered_with_its_reason_and_the_batch_goes_on(value, reason) -> None:
    db = FakeDatabase()
    await processor(db).process(records(value, credit("c2")))
    assert db.state["credited"] == ["c2"]
    [parked] = db.outbox
    headers = parked.headers
    assert parked.topic == "dead-letter" and parked.value == value
    assert set(headers) == set(DLQ_HEADERS)
    assert headers["dlq.source.topic"] == "wallet.commands" and headers["dlq.source.offset"] == "0"
    assert reason in headers["dlq.reason"]


async def test_a_dead_letter_is_written_once_even_if_the_batch_is_redelivered() -> None:
    db = FakeDatabase()
    batch = records(b"garbage")
    await processor(db).process(batch)
    await processor(db).process(batch)
    assert len(db.outbox) == 1


async def test_a_handler_that_fails_for_one_message_parks_only_that_message() -> None:
    db = FakeDatabase()

    async def picky(tx, env) -> None:
        if env.payload.credit_id == "bad":
            raise ValueError("account closed")
        await count_credits(tx, env)

    stats = await processor(db, picky).process(records(credit("a"), credit("bad"), credit("b")))
    assert db.state["credited"] == ["a", "b"]
    assert stats.dead_lettered == 1
    assert "ValueError: account closed" in db.outbox[0].headers["dlq.reason"]


async def test_a_transient_failure_is_retried_and_then_succeeds() -> None:
    db = FakeDatabase()
    db.failures_to_inject = [ConnectionError("database restarting")]
    stats = await processor(db).process(records(credit("c1")))
    assert db.state["credited"] == ["c1"]
    assert stats.attempts == 2


async def test_a_failure_that_outlasts_the_retries_raises_and_commits_nothing() -> None:
    db = FakeDatabase()
    db.failures_to_inject = [ConnectionError("down")] * 3
    with pytest.raises(ConnectionError):
        await processor(db).process(records(credit("c1")))
    assert db.commits == 0 and "credited" not in db.state


async def test_a_known_event_the_consumer_does_not_handle_is_skipped_not_dead_lettered() -> None:
    db = FakeDatabase()
    proc = BatchProcessor("wallet-test", db, count_credits, frozenset({"AccountCredited"}))
    stats = await proc.process(records(credit("c1")))
    assert stats.ignored == 1 and not db.outbox and "credited" not in db.state


# -- batch handlers: runs of one type in one call, the per-message handler as the fallback -----------

def batch_processor(db: FakeDatabase, batch_handler, handler=count_credits) -> BatchProcessor:
    return BatchProcessor("wallet-test", db, handler, frozenset({"CreditPersonalAccount", "AccountCredited"}),
                          {"CreditPersonalAccount": batch_handler}, retry=RetryPolicy(attempts=3, first_delay=0.0))


def credited(credit_id: str) -> bytes:
    payload = AccountCredited(credit_id=credit_id, psn_no="P1", amount=1, balc=1)
    return encode(new_envelope(payload, producer="test", correlation_id=credit_id))


async def test_consecutive_messages_of_a_batched_type_reach_the_batch_handler_in_runs_and_in_order() -> None:
    db = FakeDatabase()
    runs: list[list[str]] = []

    async def credit_many(tx, envs) -> None:
        runs.append([e.payload.credit_id for e in envs])
        tx.conn.setdefault("credited", []).extend(e.payload.credit_id for e in envs)

    async def one(tx, env) -> None:
        tx.conn.setdefault("credited", []).append(f"single:{env.payload.credit_id}")

    c1 = credit("c1")
    await batch_processor(db, credit_many, one).process(records(
        c1, credit("c2"), c1, credited("x1"), credit("c3"), b"not json", credit("c4")))
    assert runs == [["c1", "c2"], ["c3", "c4"]]  # the repeat is dropped; a dead letter does not cut a run
    assert db.state["credited"] == ["c1", "c2", "single:x1", "c3", "c4"]


async def test_a_failing_batch_is_run_again_message_by_message_and_only_the_bad_one_is_parked() -> None:
    db = FakeDatabase()

    async def credit_many(tx, envs) -> None:
        raise ValueError("the batch handler cannot take this batch")

    async def one(tx, env) -> None:
        if env.payload.credit_id == "bad":
            raise ValueError("bad credit")
        tx.conn.setdefault("credited", []).append(env.payload.credit_id)

    stats = await batch_processor(db, credit_many, one).process(records(credit("c1"), credit("bad"), credit("c2")))
    assert db.state["credited"] == ["c1", "c2"]
    assert stats.dead_lettered == 1


def test_a_batch_handler_needs_a_per_message_handler_of_its_type() -> None:
    async def many(tx, envs) -> None: ...

    with pytest.raises(ValueError, match="CreditPersonalAccount"):
        batch_dispatcher({CreditPersonalAccount: many}, frozenset({"AccountCredited"}))


def typed(value: bytes, event_type: str, **more: str) -> Record:
    headers = (("event_type", event_type.encode()), *((k, v.encode()) for k, v in more.items()))
    return Record("wallet.commands", 0, 7, b"P1", value, headers)


async def test_a_record_whose_type_header_the_consumer_has_no_use_for_is_passed_over_undecoded_and_unrecorded() -> None:
    db = FakeDatabase()
    stats = await processor(db).process([typed(b"not even JSON", "AccountCredited"), typed(credit("c1"), "CreditPersonalAccount")])
    assert db.state["credited"] == ["c1"]
    assert stats.ignored == 1 and stats.handled == 1 and stats.dead_lettered == 0
    assert db.outbox == [] and len(db.state["inbox"]) == 1  # no dead letter, no inbox row for the other


async def test_a_consumers_select_passes_over_the_records_it_turns_down_by_their_headers() -> None:
    db = FakeDatabase()
    wanted = processor(db)
    wanted.select = lambda headers: headers.get("region") == b"mine"
    stats = await wanted.process([typed(credit("c1"), "CreditPersonalAccount", region="other"),
                                  typed(credit("c2"), "CreditPersonalAccount", region="mine"),
                                  Record("wallet.commands", 0, 9, b"P1", credit("c3"))])  # no headers: decoded
    assert db.state["credited"] == ["c2", "c3"]
    assert stats.ignored == 1 and len(db.state["inbox"]) == 2


def test_every_emitted_record_names_its_event_type_and_any_routing_headers() -> None:
    tx = type("Tx", (), {"published": [], "publish": lambda self, m: self.published.append(m)})()
    payload = CreditPersonalAccount(credit_id="c1", psn_no="P1", amount=100, kind="contribution", year=2026)
    emit(tx, WALLET_COMMANDS, "P1", payload, producer="test", correlation_id="c1", headers={"region": "mine"})
    assert tx.published[0].headers == {"event_type": "CreditPersonalAccount", "region": "mine"}


async def test_a_record_whose_type_header_no_contract_knows_is_decoded_and_dead_lettered_with_the_reason() -> None:
    db = FakeDatabase()
    value = credit("c9").replace(b"CreditPersonalAccount", b"LaunchRocket")
    stats = await processor(db).process([typed(value, "LaunchRocket")])
    assert stats.dead_lettered == 1
    assert "unknown event type" in db.outbox[0].headers["dlq.reason"]
