"""The Postgres adapter keeps the repository contract, on the real Postgres."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from libs.db.migrations import migrate
from libs.messaging.postgres import MIGRATIONS as MESSAGING_MIGRATIONS
from services.clearing.adapters.repository import PostgresClearingRepository
from services.clearing.bootstrap import MIGRATIONS
from services.clearing.tests.unit.repository_contract import ClearingRepositoryContract

pytestmark = pytest.mark.integration

TABLES = "cycles, obligations, net_positions, confirmations, prepayments, reconciliations, reconciliation_mismatches"


@pytest.fixture(scope="module")
async def database(namespace) -> AsyncIterator[asyncpg.Connection]:
    """A database of its own, migrated as the service migrates it at start."""
    name = f"{namespace.prefix}clearing_contract"
    admin = await asyncpg.connect(namespace.stack.dsn("postgres"))
    await admin.execute(f'CREATE DATABASE "{name}"')
    conn = await asyncpg.connect(namespace.stack.dsn(name))
    await migrate(conn, {"messaging": MESSAGING_MIGRATIONS, "clearing": MIGRATIONS})
    yield conn
    await conn.close()
    await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    await admin.close()


class TestPostgresClearingRepository(ClearingRepositoryContract):
    duplicate_key_error = asyncpg.UniqueViolationError

    @pytest.fixture
    async def store(self, database: asyncpg.Connection) -> PostgresClearingRepository:
        # Each statement commits on its own here, so a refused insert leaves the connection usable
        # for the contract's next step; in the service, it rolls the whole message back.
        await database.execute(f"TRUNCATE {TABLES}")
        return PostgresClearingRepository(database)
