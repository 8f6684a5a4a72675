"""The store contract against both Postgres stores, each test in a transaction that is rolled back."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from libs.db.migrations import migrate
from libs.messaging import postgres
from services.settlement.adapters.claim_store import RunClaimStore
from services.settlement.adapters.store import PgSettlementStore
from services.settlement.bootstrap import MIGRATIONS
from services.settlement.tests.unit.store_contract import StoreContract

pytestmark = pytest.mark.integration


@pytest.fixture
async def conn(namespace) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(namespace.dsn("settlement"))
    try:
        await migrate(connection, {"messaging": postgres.MIGRATIONS, "settlement": MIGRATIONS})
        transaction = connection.transaction()
        await transaction.start()
        yield connection
        await transaction.rollback()
    finally:
        await connection.close()


class TestPerMessageStore(StoreContract):
    duplicate_key_error = asyncpg.UniqueViolationError

    @pytest.fixture
    def open_store(self, conn):
        async def open_store(claims):
            return PgSettlementStore(conn)
        return open_store


class TestSetBasedStore(StoreContract):
    duplicate_key_error = asyncpg.UniqueViolationError

    @pytest.fixture
    def open_store(self, conn):
        async def open_store(claims):
            return await RunClaimStore.load(conn, claims)
        return open_store

    @pytest.fixture
    def written(self):
        async def written(store):
            await store.flush()
        return written
