"""Inbox retention: ids of messages that can no longer be redelivered are purged.

A consumer records every message id in its inbox, in the same transaction as the effect, so that a
redelivered message changes nothing. A message can only be redelivered while its topic still holds
it: Kafka keeps the platform's topics for 7 days (the broker's `log.retention.hours`, 168, which
`deploy/` and docker-compose.yml leave at its default). Rows older than `INBOX_RETENTION_DAYS`
(default 14: twice that, with room for a consumer group reset to the earliest offset) protect
nothing and would grow each service's inbox by a row a message forever (at the national peak of
DOMAIN.md §7, about 10^8 rows a day across the services).

Every `INBOX_PURGE_EVERY_S` seconds (default 300) each process deletes the expired rows in chunks
(so no statement holds many locks or writes much WAL at once). Two processes of a service purging at
once is harmless: the second finds less to delete. Replaying a topic from an archive older than the
retention would process its messages again: replay into a fresh consumer group's view instead, or
raise the retention first.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg
import structlog

from libs.messaging.consumer import TRANSIENT_ERRORS

log = structlog.get_logger("retention")

CHUNK = 10_000


async def purge_inbox(pool: asyncpg.Pool, older_than: timedelta, chunk: int = CHUNK) -> int:
    """Delete inbox rows received more than `older_than` ago; return how many."""
    purged = 0
    while True:
        async with pool.acquire() as conn:
            deleted: int = await conn.fetchval(
                "WITH doomed AS (SELECT ctid FROM inbox WHERE received_at < now() - $1::interval LIMIT $2),"
                " gone AS (DELETE FROM inbox WHERE ctid IN (SELECT ctid FROM doomed) RETURNING 1)"
                " SELECT count(*) FROM gone", older_than, chunk)
        purged += deleted
        if deleted < chunk:
            return purged


class InboxPurger:
    """The periodic purge, as a task of the service's process."""

    def __init__(self, pool: asyncpg.Pool, retention: timedelta, every: float) -> None:
        self._pool, self._retention, self._every = pool, retention, every
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="inbox-purger")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._every)
            try:
                purged = await purge_inbox(self._pool, self._retention)
            except TRANSIENT_ERRORS as exc:
                log.warning("inbox_purge_failed", error=repr(exc))
                continue
            if purged:
                log.info("inbox_purged", rows=purged, retention_days=self._retention.days)
