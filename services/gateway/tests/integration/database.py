"""The gateway's database in a test namespace, for the integration tests."""

from __future__ import annotations

from typing import Any

import asyncpg

from libs.db.migrations import migrate
from libs.messaging import postgres
from services.gateway.bootstrap import MIGRATIONS


async def migrated_connection(namespace: Any) -> asyncpg.Connection:
    """A connection to the namespace's gateway database, with the messaging and gateway migrations applied."""
    conn = await asyncpg.connect(namespace.dsn("gateway"))
    await migrate(conn, {"messaging": postgres.MIGRATIONS, "gateway": MIGRATIONS})
    return conn
