"""The consumer runtime's ports on Postgres: inbox, outbox and dead-letter rows in one transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import orjson

from libs.messaging.records import DeadLetter, OutgoingMessage, Record, safe_text

MIGRATIONS = Path(__file__).parent / "migrations"

_INSERT_DEAD = (
    'INSERT INTO dead_letters (consumer, topic, partition, "offset", reason, message_id, key, value, headers,'
    " value_size, value_sha256)"
    " SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[], $5::text[], $6::text[], $7::bytea[],"
    " $8::bytea[], $9::jsonb[], $10::int[], $11::text[])"
    ' ON CONFLICT DO NOTHING RETURNING consumer, topic, partition, "offset"'
)


class PgTransaction:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self._outbox: list[OutgoingMessage] = []
        self._dead: list[DeadLetter] = []

    async def claim_new(self, consumer: str, message_ids: list[str], digests: list[bytes] | None = None) -> set[str]:
        if digests is None:
            rows = await self.conn.fetch(
                "INSERT INTO inbox (consumer, message_id) SELECT $1, unnest($2::text[])"
                " ON CONFLICT DO NOTHING RETURNING message_id",
                consumer, message_ids,
            )
        else:
            rows = await self.conn.fetch(
                "INSERT INTO inbox (consumer, message_id, body_hash) SELECT $1, * FROM unnest($2::text[], $3::bytea[])"
                " ON CONFLICT DO NOTHING RETURNING message_id",
                consumer, message_ids, digests,
            )
        return {r["message_id"] for r in rows}

    async def digests(self, consumer: str, message_ids: list[str]) -> dict[str, bytes | None]:
        rows = await self.conn.fetch(
            "SELECT message_id, body_hash FROM inbox WHERE consumer = $1 AND message_id = ANY($2::text[])",
            consumer, message_ids)
        return {r["message_id"]: r["body_hash"] for r in rows}

    def publish(self, message: OutgoingMessage) -> None:
        self._outbox.append(message)

    def park(self, dead: DeadLetter) -> None:
        self._dead.append(dead)

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        outbox_mark, dead_mark = len(self._outbox), len(self._dead)
        try:
            async with self.conn.transaction():
                yield
        except BaseException:
            del self._outbox[outbox_mark:], self._dead[dead_mark:]
            raise

    async def flush(self) -> list[tuple[int, OutgoingMessage]]:
        """Write the queued rows; return the outbox rows with their ids, for the relay after commit."""
        if self._dead:
            await self._write_dead_letters()
        written: list[tuple[int, OutgoingMessage]] = []
        if self._outbox:
            # One statement for the whole batch (not one per row): a third of Postgres's CPU per row.
            # unnest keeps the order, so ids, and therefore the relay's publishing order, follow it.
            rows = await self.conn.fetch(
                "INSERT INTO outbox (topic, key, event_id, value, headers)"
                " SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::bytea[], $5::jsonb[]) RETURNING id",
                [m.topic for m in self._outbox], [m.key for m in self._outbox], [m.event_id for m in self._outbox],
                [m.value for m in self._outbox], [orjson.dumps(m.headers).decode() if m.headers else "{}" for m in self._outbox],
            )
            written = list(zip(sorted(r["id"] for r in rows), self._outbox))
        return written

    async def _write_dead_letters(self) -> None:
        """The rows first: a position parked before (a redelivered batch) gets no second copy on the
        topic. Then the parked ids leave the inbox, so a replay of the same bytes is processed."""
        rows = [d.row for d in self._dead]
        columns = [list(c) for c in zip(*rows)]
        columns[8] = [orjson.dumps(h).decode() for h in columns[8]]
        new = {tuple(r) for r in await self.conn.fetch(_INSERT_DEAD, *columns)}
        self._outbox.extend(d.message for d, row in zip(self._dead, rows) if tuple(row[:4]) in new)
        released = [(d.consumer, d.message_id) for d in self._dead if d.message_id is not None]
        if released:
            await self.conn.execute(
                "DELETE FROM inbox USING unnest($1::text[], $2::text[]) AS r(consumer, message_id)"
                " WHERE inbox.consumer = r.consumer AND inbox.message_id = r.message_id",
                [c for c, _ in released], [m for _, m in released])


Committed = Callable[[list[tuple[int, OutgoingMessage]]], None]


class PgDatabase:
    """Opens transactions on a pool; hands the relay the outbox rows each transaction committed."""

    def __init__(self, pool: asyncpg.Pool | None = None, on_commit: Committed | None = None) -> None:
        self.pool = pool  # set at start-up, before any subscriber runs
        self._on_commit = on_commit

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PgTransaction]:
        assert self.pool is not None, "database used before start-up"
        async with self.pool.acquire() as conn:
            tx = PgTransaction(conn)
            async with conn.transaction():
                yield tx
                written = await tx.flush()
        if written and self._on_commit is not None:
            self._on_commit(written)

    async def quarantine(self, consumer: str, record: Record, reason: str) -> None:
        """Position and reason only, in plain ASCII: nothing of the record that could fail again."""
        assert self.pool is not None, "database used before start-up"
        ascii_reason = safe_text(reason).encode("ascii", "backslashreplace").decode()
        async with self.pool.acquire() as conn:
            await conn.execute(
                'INSERT INTO dead_letters (consumer, topic, partition, "offset", reason, quarantined)'
                " VALUES ($1, $2, $3, $4, $5, true) ON CONFLICT DO NOTHING",
                safe_text(consumer, 200), safe_text(record.topic, 300), record.partition, record.offset, ascii_reason)
