"""The outbox relay: publishes committed outbox rows in order, then deletes them.

One relay per database publishes at a time (a session advisory lock), so rows go out in id order and
per-key order is kept. A crash between publishing and deleting re-publishes the same rows with the
same event ids, which every consumer's inbox ignores.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

import asyncpg
import orjson
import structlog

from libs.messaging.consumer import TRANSIENT_ERRORS

log = structlog.get_logger("relay")

_RELAY_LOCK = 7_305_2207


class Sender(Protocol):
    async def send_batch(self, rows: list[tuple[str, str, bytes, list[tuple[str, bytes]]]]) -> None: ...


class OutboxRelay:
    def __init__(self, pool: asyncpg.Pool, sender: Sender, *, batch: int = 1000, idle_poll: float = 0.5) -> None:
        self._pool, self._sender, self._batch, self._idle_poll = pool, sender, batch, idle_poll
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self.published = 0

    def wake(self) -> None:
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
        while True:
            try:
                async with self._pool.acquire() as conn:
                    if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", _RELAY_LOCK):
                        await self._idle()
                        if self._stopping:
                            return
                        continue
                    try:
                        await self._drain_forever(conn)
                        return
                    finally:
                        await conn.execute("SELECT pg_advisory_unlock($1)", _RELAY_LOCK)
            except TRANSIENT_ERRORS as exc:
                log.warning("relay_retry", error=repr(exc))
                if self._stopping:
                    return
                await asyncio.sleep(1.0)

    async def _drain_forever(self, conn: asyncpg.Connection) -> None:
        while True:
            sent = await self.publish_pending(conn)
            if sent:
                continue
            if self._stopping:
                return
            await self._idle()

    async def _idle(self) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), self._idle_poll)
        except asyncio.TimeoutError:
            pass
        self._wake.clear()

    async def publish_pending(self, conn: asyncpg.Connection) -> int:
        rows = await conn.fetch(
            "SELECT id, topic, key, value, headers FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT $1",
            self._batch,
        )
        if not rows:
            return 0
        await self._sender.send_batch([
            (r["topic"], r["key"], r["value"], [(k, v.encode()) for k, v in orjson.loads(r["headers"]).items()])
            for r in rows
        ])
        # Deleted once published (the topic and the consumers' inboxes keep the history): half the
        # Postgres work of marking them sent and purging them later.
        await conn.execute("DELETE FROM outbox WHERE id = ANY($1::bigint[])", [r["id"] for r in rows])
        self.published += len(rows)
        return len(rows)

