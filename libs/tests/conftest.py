"""Fixtures of the messaging library's tests on the real Postgres."""

from __future__ import annotations

import asyncpg
import pytest

from libs.db.migrations import migrate
from libs.messaging import postgres


@pytest.fixture
async def messaging_pool(namespace):
    """A pool on a database with only the messaging tables, emptied."""
    pool = await asyncpg.create_pool(namespace.dsn("clearing"), min_size=1, max_size=4)
    async with pool.acquire() as conn:
        await migrate(conn, {"messaging": postgres.MIGRATIONS})
        await conn.execute("DELETE FROM outbox; DELETE FROM inbox")
    yield pool
    await pool.close()
