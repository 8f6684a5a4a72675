"""The projection keeps what the pages and the supervision rules look back on, and no more."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import asyncpg
import structlog

log = structlog.get_logger("console.retention")


async def purge(pool: asyncpg.Pool, keep: timedelta) -> tuple[int, int]:
    """Delete outcomes and submissions older than `keep`; how many of each went."""
    async with pool.acquire() as conn:
        outcomes = await conn.execute("DELETE FROM outcomes WHERE occurred_at < now() - $1::interval", keep)
        submissions = await conn.execute("DELETE FROM submissions WHERE submitted_at < now() - $1::interval", keep)
    return int(outcomes.split()[-1]), int(submissions.split()[-1])


class ProjectionPurger:
    def __init__(self, keep: timedelta, every_s: float) -> None:
        self.keep, self.every_s = keep, every_s
        self._task: asyncio.Task[None] | None = None

    def start(self, pool: asyncpg.Pool) -> None:
        self._task = asyncio.create_task(self._run(pool), name="console-retention")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self, pool: asyncpg.Pool) -> None:
        while True:
            try:
                gone = await purge(pool, self.keep)
                if any(gone):
                    log.info("projection_purged", outcomes=gone[0], submissions=gone[1])
            except (OSError, asyncpg.PostgresError) as exc:  # the database away: try again next round
                log.warning("projection_purge_failed", error=repr(exc))
            await asyncio.sleep(self.every_s)
