"""The store contract against Postgres, each test in a transaction that is rolled back; with and without a cache."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from libs.db.migrations import migrate
from libs.messaging import postgres
from services.enrollment.tests.unit.builders import VAULT
from services.enrollment.adapters.person_cache import PersonCache
from services.enrollment.adapters.repository import PgEnrollmentStore
from services.enrollment.bootstrap import MIGRATIONS
from services.enrollment.tests.unit.store_contract import StoreContract

pytestmark = pytest.mark.integration


class TestPgStore(StoreContract):
    cache_size = 0

    @pytest.fixture
    async def store(self, enrollment_namespace) -> AsyncIterator[PgEnrollmentStore]:
        conn = await asyncpg.connect(enrollment_namespace.dsn("enrollment"))
        try:
            await migrate(conn, {"messaging": postgres.MIGRATIONS, "enrollment": MIGRATIONS})
            transaction = conn.transaction()
            await transaction.start()
            yield PgEnrollmentStore(conn, VAULT, PersonCache(self.cache_size))
            await transaction.rollback()
        finally:
            await conn.close()


class TestPgStoreWithCache(TestPgStore):
    cache_size = 100
