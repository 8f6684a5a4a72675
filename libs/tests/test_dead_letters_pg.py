"""Dead-lettering on the real Postgres cannot fail, and the relay never blocks on one row."""

from __future__ import annotations

import asyncio
import hashlib
import uuid

import orjson
import pytest
from prometheus_client import REGISTRY

from libs.contracts.envelope import new_envelope
from libs.contracts.registry import encode
from libs.contracts.wallet import CreditPersonalAccount
from libs.messaging.consumer import BatchProcessor
from libs.messaging.postgres import PgDatabase
from libs.messaging.records import DLQ_VALUE_LIMIT, OutgoingMessage, Record
from libs.messaging.relay import OutboxRelay
from libs.retry import RetryPolicy

pytestmark = pytest.mark.integration


@pytest.fixture
async def pool(messaging_pool):
    async with messaging_pool.acquire() as conn:
        await conn.execute("DELETE FROM dead_letters; DELETE FROM outbox_parked")
    return messaging_pool


def credit(credit_id: str, amount: int = 100) -> bytes:
    payload = CreditPersonalAccount(credit_id=credit_id, psn_no="P1", amount=amount, kind="contribution", year=2026)
    return encode(new_envelope(payload, producer="test", correlation_id=credit_id))


async def credits(tx, env) -> None:
    if env.payload.credit_id.startswith("bad"):
        raise ValueError(f"cannot credit {env.payload.credit_id}\x00 \udcff")  # a reason Postgres would refuse raw
    await tx.conn.execute("INSERT INTO outbox_parked_probe VALUES ($1)", env.payload.credit_id)


def processor(database, handler=credits) -> BatchProcessor:
    return BatchProcessor("wallet-test", database, handler, frozenset({"CreditPersonalAccount"}),
                          retry=RetryPolicy(attempts=2, first_delay=0.0))


@pytest.fixture
async def probe(pool):
    async with pool.acquire() as conn:
        await conn.execute("CREATE TABLE IF NOT EXISTS outbox_parked_probe (credit_id text); DELETE FROM outbox_parked_probe")
    return pool


POISON = [
    Record("wallet.commands", 0, 1, b"P\x00\xff\xfe", b"\x00\xff not json \xc3\x28", (("h\x00", b"\xff\x00"),)),
    Record("wallet.commands", 0, 2, b"P1", b'{"event_id": "\\u0000", "event_type": "CreditPersonalAccount\\u0000"}'),
    Record("wallet.commands", 0, 3, b"P1", b"{" * 100_000),
    Record("wallet.commands", 0, 4, b"P1", b'{"x": "' + b"\xff" * 1_040_000 + b'"}'),
]


async def test_poison_of_every_kind_is_dead_lettered_whole_and_the_good_message_behind_it_is_handled(probe) -> None:
    database = PgDatabase(probe)
    good = credit("good")
    stats = await processor(database).process([*POISON, Record("wallet.commands", 0, 5, b"P1", good)])
    assert stats.dead_lettered == len(POISON) and stats.handled == len(POISON) + 1
    async with probe.acquire() as conn:
        assert await conn.fetchval("SELECT array_agg(credit_id) FROM outbox_parked_probe") == ["good"]
        rows = await conn.fetch('SELECT * FROM dead_letters ORDER BY "offset"')
        assert [(r["offset"], r["key"], r["value"]) for r in rows] == [(p.offset, p.key, p.value) for p in POISON]
        assert orjson.loads(rows[0]["headers"]) == {"h\\x00": "\\xff\\x00"}
        oversized = POISON[3].value
        assert oversized is not None
        assert rows[3]["value_size"] == len(oversized)
        assert rows[3]["value_sha256"] == hashlib.sha256(oversized).hexdigest()
        copies = await conn.fetch("SELECT value, headers FROM outbox WHERE topic = 'dead-letter' ORDER BY id")
        assert len(copies) == len(POISON)
        assert len(copies[3]["value"]) == DLQ_VALUE_LIMIT
        assert orjson.loads(copies[3]["headers"])["dlq.truncated"] == "true"


async def test_a_handler_failure_whose_reason_holds_nul_and_surrogates_is_parked_and_the_batch_goes_on(probe) -> None:
    database = PgDatabase(probe)
    stats = await processor(database).process(
        [Record("wallet.commands", 0, n, b"P1", credit(c)) for n, c in enumerate(["a", "bad1", "b"])])
    assert stats.dead_lettered == 1
    async with probe.acquire() as conn:
        assert await conn.fetchval("SELECT array_agg(credit_id ORDER BY credit_id) FROM outbox_parked_probe") == ["a", "b"]
        reason = await conn.fetchval("SELECT reason FROM dead_letters")
        assert "\\x00" in reason and "\\udcff" in reason


async def test_a_replayed_dead_letter_is_really_processed_and_a_redelivered_batch_parks_it_once(probe) -> None:
    database = PgDatabase(probe)
    broken = {"on": True}

    async def flaky(tx, env) -> None:
        if broken["on"]:
            raise RuntimeError("bug")
        await credits(tx, env)

    value = credit("c1")
    batch = [Record("wallet.commands", 0, 0, b"P1", value)]
    await processor(database, flaky).process(batch)
    await processor(database, flaky).process(batch)  # the same batch again: no second copy on the topic
    broken["on"] = False
    replay = await processor(database, flaky).process([Record("wallet.commands", 0, 9, b"P1", value)])
    assert replay.handled == 1 and replay.duplicates == 0
    async with probe.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM outbox WHERE topic = 'dead-letter'") == 1
        assert await conn.fetchval("SELECT array_agg(credit_id) FROM outbox_parked_probe") == ["c1"]
        assert await conn.fetchval("SELECT count(*) FROM inbox WHERE consumer = 'wallet-test'") == 1


async def test_a_changed_body_under_a_known_id_is_dead_lettered_as_a_conflict(probe) -> None:
    database = PgDatabase(probe)
    value = credit("c1", amount=100)
    await processor(database).process([Record("wallet.commands", 0, 0, b"P1", value)])
    stats = await processor(database).process(
        [Record("wallet.commands", 0, 1, b"P1", value.replace(b'"amount":100', b'"amount":1000000'))])
    assert stats.dead_lettered == 1
    async with probe.acquire() as conn:
        assert "conflict" in await conn.fetchval("SELECT reason FROM dead_letters")


async def test_a_record_that_cannot_even_be_parked_is_quarantined_by_position_and_the_consumer_moves_on(probe) -> None:
    database = PgDatabase(probe)

    async def poisons_the_outbox(tx, env) -> None:
        if env.payload.credit_id == "bad":
            tx.park = lambda dead: tx.publish(OutgoingMessage("t", "k", "not-a-uuid", b""))  # flush will fail
            raise ValueError("bad")
        await credits(tx, env)

    stats = await processor(database, poisons_the_outbox).process(
        [Record("wallet.commands", 0, n, b"P1", credit(c)) for n, c in enumerate(["a", "bad", "b"])])
    assert stats.quarantined == 1
    async with probe.acquire() as conn:
        assert await conn.fetchval("SELECT array_agg(credit_id ORDER BY credit_id) FROM outbox_parked_probe") == ["a", "b"]
        row = await conn.fetchrow('SELECT "offset", quarantined, value FROM dead_letters')
        assert (row["offset"], row["quarantined"], row["value"]) == (1, True, None)


class RefusesLarge:
    def __init__(self) -> None:
        self.sent: list[bytes] = []

    async def send_batch(self, rows) -> None:
        from aiokafka.errors import MessageSizeTooLargeError
        for _, _, value, _ in rows:
            if value == b"refused":
                raise MessageSizeTooLargeError("too large for the broker")
        self.sent.extend(value for _, _, value, _ in rows)


async def test_the_relay_parks_a_row_kafka_will_never_take_and_publishes_the_rows_behind_it(pool) -> None:
    parked_before = REGISTRY.get_sample_value("medins_relay_parked_messages_total") or 0.0
    sender = RefusesLarge()
    relay = OutboxRelay(pool, sender, idle_poll=0.05, sweep_every=0.05)
    database = PgDatabase(pool, on_commit=relay.hand_over)
    relay.start()
    try:
        async with database.transaction() as tx:
            for value in (b"m1", b"x" * 1_100_000, b"refused", b"m2"):
                tx.publish(OutgoingMessage("t", "k", str(uuid.uuid4()), value))
        for _ in range(2000):
            if sender.sent.count(b"m2") and relay.parked == 2:
                break
            await asyncio.sleep(0.01)
        assert (b"m1" in sender.sent, b"m2" in sender.sent, relay.parked) == (True, True, 2), sender.sent
        async with pool.acquire() as conn:
            for _ in range(500):  # the published rows are deleted just after they are sent
                if await conn.fetchval("SELECT count(*) FROM outbox") == 0:
                    break
                await asyncio.sleep(0.01)
            assert await conn.fetchval("SELECT count(*) FROM outbox") == 0
            reasons = [r["reason"] for r in await conn.fetch("SELECT reason FROM outbox_parked ORDER BY id")]
        assert "larger than a Kafka request" in reasons[0] and "MessageSizeTooLargeError" in reasons[1]
        assert REGISTRY.get_sample_value("medins_relay_parked_messages_total") == parked_before + 2  # the relay's state
    finally:
        await relay.stop()
