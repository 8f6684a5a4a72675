"""A migrated clearing database of a test module's own, in the session's namespace, dropped at the end."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import asyncpg

from libs.db.migrations import migrate
from libs.messaging.postgres import MIGRATIONS as MESSAGING_MIGRATIONS
from services.clearing.bootstrap import MIGRATIONS


@contextlib.asynccontextmanager
async def clearing_database(namespace, name: str, *, max_size: int = 2) -> AsyncIterator[asyncpg.Pool]:
    full = f"{namespace.prefix}{name}"
    admin = await asyncpg.connect(namespace.stack.dsn("postgres"))
    try:
        await admin.execute(f'CREATE DATABASE "{full}"')
        pool = await asyncpg.create_pool(namespace.stack.dsn(full), min_size=1, max_size=max_size)
        try:
            async with pool.acquire() as conn:
                await migrate(conn, {"messaging": MESSAGING_MIGRATIONS, "clearing": MIGRATIONS})
            yield pool
        finally:
            await pool.close()
            await admin.execute(f'DROP DATABASE "{full}" WITH (FORCE)')
    finally:
        await admin.close()
