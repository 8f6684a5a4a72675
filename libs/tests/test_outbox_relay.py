"""The outbox relay on the real Postgres: hand-overs, the sweep, and nothing published twice or lost."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka.errors import KafkaTimeoutError
from prometheus_client import REGISTRY

from libs.messaging.postgres import PgDatabase
from libs.messaging.records import OutgoingMessage
from libs.messaging.relay import OutboxRelay

pytestmark = pytest.mark.integration


class Recorder:
    def __init__(self) -> None:
        self.sent: list[bytes] = []

    async def send_batch(self, rows) -> None:
        self.sent.extend(value for _, _, value, _ in rows)


def message(n: int) -> OutgoingMessage:
    return OutgoingMessage(topic="t", key="k", event_id=str(uuid.uuid4()), value=f"m{n}".encode())


@pytest.fixture
def pool(messaging_pool):
    return messaging_pool


async def until(condition, timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise TimeoutError("condition not met")


async def test_committed_rows_are_handed_over_published_in_commit_order_and_deleted(pool) -> None:
    sender = Recorder()
    relay = OutboxRelay(pool, sender, idle_poll=30, sweep_every=30)  # no sweep but the first
    database = PgDatabase(pool, on_commit=relay.hand_over)
    relay.start()
    try:
        await until(lambda: relay._holding)
        for n in range(5):
            async with database.transaction() as tx:
                tx.publish(message(2 * n))
                tx.publish(message(2 * n + 1))
        await until(lambda: len(sender.sent) == 10)
        assert sender.sent == [f"m{n}".encode() for n in range(10)]
        async with pool.acquire() as conn:
            await until(lambda: relay.published == 10)
            assert await conn.fetchval("SELECT count(*) FROM outbox") == 0
    finally:
        await relay.stop()


async def test_rows_another_process_committed_are_swept_even_while_hand_overs_keep_coming(pool) -> None:
    sender = Recorder()
    relay = OutboxRelay(pool, sender, idle_poll=30, sweep_every=0.3)
    database = PgDatabase(pool, on_commit=relay.hand_over)
    relay.start()
    try:
        await until(lambda: relay._holding)
        async with pool.acquire() as conn:  # "another process": no hand-over
            await conn.execute("INSERT INTO outbox (topic, key, event_id, value) VALUES ('t', 'k', $1, 'other')",
                               uuid.uuid4())
        for n in range(40):  # busy: a hand-over every 20 ms, never quiet for `idle_poll`
            async with database.transaction() as tx:
                tx.publish(message(n))
            await asyncio.sleep(0.02)
        await until(lambda: b"other" in sender.sent and len(sender.sent) == 41)
        assert sender.sent.count(b"other") == 1
    finally:
        await relay.stop()


async def test_a_row_swept_before_its_hand_over_is_not_published_twice(pool) -> None:
    sender = Recorder()
    relay = OutboxRelay(pool, sender, idle_poll=30, sweep_every=30)
    relay._holding = True  # driven by hand here: sweep first, then the late hand-over
    async with PgDatabase(pool).transaction() as tx:
        tx.publish(message(1))
    async with pool.acquire() as conn:
        written = [(r["id"], message(1)) for r in await conn.fetch("SELECT id FROM outbox")]
        assert await relay.publish_pending(conn) == 1
        relay.hand_over(written)
        await relay._publish_handed(conn)
    assert sender.sent == [b"m1"]


async def test_stopping_publishes_what_was_committed_before(pool) -> None:
    sender = Recorder()
    relay = OutboxRelay(pool, sender, idle_poll=30, sweep_every=30)
    database = PgDatabase(pool, on_commit=relay.hand_over)
    relay.start()
    await until(lambda: relay._holding)
    async with database.transaction() as tx:
        tx.publish(message(1))
    async with pool.acquire() as conn:
        await conn.execute("INSERT INTO outbox (topic, key, event_id, value) VALUES ('t', 'k', $1, 'other')",
                           uuid.uuid4())
    await relay.stop()
    assert sorted(sender.sent) == [b"m1", b"other"]


async def test_two_processes_each_publish_their_own_rows_at_once_and_nothing_twice(pool) -> None:
    """A second process of a service does not hold the lock, yet publishes its rows without waiting for a sweep."""
    first, second = Recorder(), Recorder()
    holder = OutboxRelay(pool, first, idle_poll=30, sweep_every=30)
    other = OutboxRelay(pool, second, idle_poll=30, sweep_every=30)
    holder.start()
    await until(lambda: holder._holding)
    other.start()
    try:
        databases = [PgDatabase(pool, on_commit=holder.hand_over), PgDatabase(pool, on_commit=other.hand_over)]
        for n in range(20):
            async with databases[n % 2].transaction() as tx:
                tx.publish(message(n))
        await until(lambda: len(first.sent) + len(second.sent) == 20, timeout=2.0)  # far below a sweep's 30 s
        assert not other._holding
        assert sorted(first.sent + second.sent) == sorted(f"m{n}".encode() for n in range(20))
        assert second.sent == [f"m{n}".encode() for n in range(1, 20, 2)]  # its own, in commit order
    finally:
        await other.stop()
        await holder.stop()


async def test_the_periodic_sweep_leaves_young_rows_to_the_process_that_wrote_them(pool) -> None:
    sender = Recorder()
    relay = OutboxRelay(pool, sender, idle_poll=30, sweep_every=30)
    relay._holding = True  # driven by hand
    async with pool.acquire() as conn:
        await conn.execute("INSERT INTO outbox (topic, key, event_id, value, created_at) VALUES"
                           " ('t', 'k', $1, 'young', now()), ('t', 'k', $2, 'old', now() - interval '5 s')",
                           uuid.uuid4(), uuid.uuid4())
        assert await relay.publish_pending(conn, older_than=2.0) == 1
        assert sender.sent == [b"old"]
        assert await relay.publish_pending(conn) == 1  # at start and at stop: every row
    assert sender.sent == [b"old", b"young"]


class FailingOnce(Recorder):
    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error: Exception | None = error

    async def send_batch(self, rows) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            raise error
        await super().send_batch(rows)


async def test_a_failed_publish_of_any_kind_leaves_the_rows_for_the_sweep_and_the_relay_goes_on(pool) -> None:
    failures_before = REGISTRY.get_sample_value("medins_relay_failures_total") or 0.0
    sender = FailingOnce(KafkaTimeoutError())  # not a connection error: the relay must outlive it too
    relay = OutboxRelay(pool, sender, idle_poll=0.1, sweep_every=0.1)
    database = PgDatabase(pool, on_commit=relay.hand_over)
    relay.start()
    try:
        await until(lambda: relay._holding)
        async with database.transaction() as tx:
            tx.publish(message(1))
        await until(lambda: sender.sent == [b"m1"], timeout=5.0)
        async with database.transaction() as tx:
            tx.publish(message(2))
        await until(lambda: sender.sent == [b"m1", b"m2"], timeout=5.0)
        assert REGISTRY.get_sample_value("medins_relay_failures_total") == failures_before + 1  # the relay's state
    finally:
        await relay.stop()
