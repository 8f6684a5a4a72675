"""The outbox relay: publishes committed outbox rows, then deletes them.

Two ways in. The fast one: the process's own transactions hand over the rows they committed (ids and
bytes, already in memory), in the order they committed, and the relay publishes them without reading
them back. Every process publishes its own rows this way, so with several processes of a service
(each consuming some of the partitions) none waits for another. The sweep: one process per database
at a time (a session advisory lock) reads what is left in the table: at start and at stop every row,
and after `idle_poll` seconds of quiet or every `sweep_every` seconds the rows older than
`2 * sweep_every` (left by a crash between commit and publish, or by a failed publish; younger rows
are another live process's, which publishes them itself). Reading back every row was the relay's
main cost: the table's head is a trail of deleted rows that each scan walked until vacuum removed
them (2.5 ms a scan in the settlement database at 500 claims a second; docs/performance.md).

One row never blocks the others: a row Kafka can never take (larger than a request may be, or a
value the client refuses) is moved to `outbox_parked` with the reason, and the rows behind it flow.
Rows over `MAX_RECORD_BYTES` are parked before sending; when a batch fails with an error that only
one record can cause, its rows are sent one by one to find it. Any other failure (the broker is
away, a timeout) leaves every row for the next attempt, as before.

Order: a process publishes its rows in commit order. Events for one key come from one process while
it owns the partitions they follow from; a later event of one claim (settled after adjudicated) is
only written after the earlier one was consumed, so published. A crash between publishing and
deleting re-publishes the same rows with the same event ids, which every consumer's inbox ignores.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Protocol, cast

import asyncpg
import orjson
import structlog
from aiokafka.errors import CorruptRecordException, InvalidTopicError, MessageSizeTooLargeError, RecordTooLargeError

from libs.messaging.consumer import TRANSIENT_ERRORS
from libs.messaging.records import OutgoingMessage, safe_text
from libs.observability import hooks
from libs.retry import RetryPolicy, retry_transient

log = structlog.get_logger("relay")

_RELAY_LOCK = 7_305_2207
RETRY = RetryPolicy(attempts=None, first_delay=0.1, max_delay=2.0)
"""After a failure: a jittered wait up to 0.1 s, doubling to 2 s (was a fixed 1 s). The failures are counted
over the relay's life, so after a first outage a later failure waits anything up to 2 s."""

MAX_RECORD_BYTES = 1_000_000
"""Key, value and headers together: the producer refuses a request above 1 MiB (its default
`max_request_size`, which the broker's `message.max.bytes` matches); the rest is room for framing."""

UNPUBLISHABLE: tuple[type[BaseException], ...] = (
    MessageSizeTooLargeError, RecordTooLargeError, InvalidTopicError, CorruptRecordException,
    UnicodeError, TypeError, ValueError,
)
"""Errors one record causes, whatever the broker's state: sending it again cannot succeed."""

Row = tuple[int, str, str, bytes, dict[str, str]]


class Sender(Protocol):
    async def send_batch(self, rows: list[tuple[str, str, bytes, list[tuple[str, bytes]]]]) -> None: ...


class OutboxRelay:
    def __init__(self, pool: asyncpg.Pool, sender: Sender, *, batch: int = 1000, idle_poll: float = 0.5,
                 sweep_every: float = 1.0) -> None:
        self._pool, self._sender, self._batch, self._idle_poll = pool, sender, batch, idle_poll
        self._sweep_every = sweep_every
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._holding = False  # this process holds the relay lock: it sweeps
        self._handed: deque[list[tuple[int, OutgoingMessage]]] = deque()
        self._swept: set[int] = set()  # ids the last sweeps published, so a late hand-over is not sent twice
        self.published = 0
        self.parked = 0  # rows moved to outbox_parked (never publishable)

    def hand_over(self, committed: list[tuple[int, OutgoingMessage]]) -> None:
        """Rows a transaction of this process has just committed (called in commit order)."""
        self._handed.append(committed)
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        """Publish what is committed, then stop."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        # The relay must outlive any failure (Postgres, Kafka or other) until it is stopped: the one retry
        # helper, without a limit, its jittered waits growing to RETRY.max_delay while the failure lasts.
        try:
            await retry_transient(self._hold_and_drain, RETRY, (Exception,), on_retry=self._retrying,
                                  give_up=lambda: self._stopping)
        except Exception as exc:  # failed while stopping: what is left stays in the table, for the next start
            log.warning("relay_stopped_after_failure", error=repr(exc))

    async def _hold_and_drain(self) -> None:
        try:
            async with self._pool.acquire() as conn:
                try:
                    # asyncpg types a pool's connection as a proxy; it forwards every Connection method to one
                    await self._drain_forever(cast(asyncpg.Connection, conn))
                finally:
                    if self._holding:
                        self._holding = False
                        await conn.execute("SELECT pg_advisory_unlock($1)", _RELAY_LOCK)
        except Exception:
            self._handed.clear()  # what was handed over and not published stays in the table, for the sweep
            hooks.relay_failed()
            raise

    @staticmethod
    def _retrying(attempt: int, exc: BaseException, wait: float) -> None:
        if isinstance(exc, TRANSIENT_ERRORS):
            log.warning("relay_retry", error=repr(exc), attempt=attempt, wait_s=round(wait, 2))
        else:
            log.error("relay_failed_retrying", error=repr(exc), attempt=attempt, wait_s=round(wait, 2), exc_info=exc)

    async def _drain_forever(self, conn: asyncpg.Connection) -> None:
        loop = asyncio.get_running_loop()
        everything = True  # the first sweep of a holder: what was committed before it held the lock
        sweep, last_sweep = True, 0.0
        while True:
            if self._handed:
                await self._publish_handed(conn)
            if sweep or self._stopping or loop.time() - last_sweep >= self._sweep_every:
                last_sweep = loop.time()
                if not self._holding:
                    self._holding = await conn.fetchval("SELECT pg_try_advisory_lock($1)", _RELAY_LOCK)
                    everything = True
                if self._holding:
                    older_than = None if everything or self._stopping else 2 * self._sweep_every
                    if await self.publish_pending(conn, older_than):
                        sweep = True  # the sweep reads at most `batch` rows: sweep again
                        continue
                    everything = False
                if self._stopping:
                    if self._handed:
                        continue
                    return
            # quiet for `idle_poll`: sweep; busy: hand-overs, and a sweep every `sweep_every` seconds
            sweep = not await self._idle(min(self._idle_poll, max(0.0, last_sweep + self._sweep_every - loop.time())))

    async def _idle(self, timeout: float) -> bool:
        """Wait for a hand-over or a stop; False when `timeout` passed without one."""
        try:
            await asyncio.wait_for(self._wake.wait(), timeout)
            woken = True
        except TimeoutError:
            woken = False
        self._wake.clear()
        return woken

    async def _publish_handed(self, conn: asyncpg.Connection) -> None:
        rows = [(i, m) for committed in self._handed for i, m in committed if i not in self._swept]
        self._handed.clear()
        if rows:
            await self._publish(conn, [(i, m.topic, m.key, m.value, m.headers) for i, m in rows])

    async def publish_pending(self, conn: asyncpg.Connection, older_than: float | None = None) -> int:
        """Publish up to `batch` rows left in the table (only those older than `older_than` seconds)."""
        if older_than is None:
            rows = await conn.fetch(
                "SELECT id, topic, key, value, headers FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT $1",
                self._batch,
            )
        else:
            rows = await conn.fetch(
                "SELECT id, topic, key, value, headers FROM outbox WHERE sent_at IS NULL"
                " AND created_at < now() - make_interval(secs => $2) ORDER BY id LIMIT $1",
                self._batch, older_than,
            )
        if not rows:
            return 0
        ids = [r["id"] for r in rows]
        await self._publish(conn, [(r["id"], r["topic"], r["key"], r["value"], orjson.loads(r["headers"])) for r in rows])
        # A row swept here may still be handed over by the transaction that wrote it: skip it then.
        self._swept = set(ids) if len(self._swept) > 10 * self._batch else self._swept | set(ids)
        self._handed = deque([(i, m) for i, m in committed if i not in self._swept] for committed in self._handed)
        return len(rows)

    async def _publish(self, conn: asyncpg.Connection, rows: list[Row]) -> None:
        started = time.perf_counter()
        parked = [(row, f"{_size(row)} bytes: larger than a Kafka request may be") for row in rows
                  if _size(row) > MAX_RECORD_BYTES]
        sendable = [row for row in rows if _size(row) <= MAX_RECORD_BYTES] if parked else rows
        refused = 0
        try:
            await self._send(sendable)
        except UNPUBLISHABLE as exc:
            log.warning("relay_isolating_unpublishable", rows=len(sendable), error=repr(exc))
            for row in sendable:  # one by one; those sent before the failure are sent again (inboxes skip them)
                try:
                    await self._send([row])
                except UNPUBLISHABLE as one:
                    parked.append((row, f"{type(one).__name__}: {one}"))
                    refused += 1
        if parked:
            await self._park(conn, parked)
        # Deleted once published (the topic and the consumers' inboxes keep the history): half the
        # Postgres work of marking them sent and purging them later.
        await conn.execute("DELETE FROM outbox WHERE id = ANY($1::bigint[])", [row[0] for row in sendable])
        self.published += len(sendable) - refused
        hooks.relay_published(len(sendable) - refused, started)

    async def _send(self, rows: list[Row]) -> None:
        if rows:
            await self._sender.send_batch([
                (topic, key, value, [(k, v.encode()) for k, v in headers.items()]) for _, topic, key, value, headers in rows
            ])

    async def _park(self, conn: asyncpg.Connection, parked: list[tuple[Row, str]]) -> None:
        """Move rows Kafka will never take out of the outbox, with why; they wait for an operator."""
        for (row_id, topic, _, _, _), reason in parked:
            log.error("outbox_row_parked", id=row_id, topic=topic, reason=reason)
        await conn.execute(
            "WITH r AS (SELECT * FROM unnest($1::bigint[], $2::text[]) AS r(id, reason)),"
            " moved AS (DELETE FROM outbox o USING r WHERE o.id = r.id"
            " RETURNING o.id, o.topic, o.key, o.event_id, o.value, o.headers, o.created_at, r.reason)"
            " INSERT INTO outbox_parked (id, topic, key, event_id, value, headers, created_at, reason)"
            " SELECT * FROM moved ON CONFLICT (id) DO NOTHING",
            [row[0] for row, _ in parked], [safe_text(reason) for _, reason in parked])
        self.parked += len(parked)
        hooks.relay_parked(len(parked))


def _size(row: Row) -> int:
    _, _, key, value, headers = row
    return len(value) + len(key) + sum(len(k) + len(v) for k, v in headers.items())
