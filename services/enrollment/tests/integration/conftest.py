"""Enrollment and settlement in-process on the real Kafka and Postgres, seen from an enrollment office.

`Office.send` publishes a command on `enrollment.commands`; `Office.projected` polls settlement's
`coverage` table until the person's snapshot satisfies a condition and says how long that took.
These tests work in their own namespace (topics and databases), so the people they register never
show up in the end-to-end tests' projections.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import orjson
import pytest

from libs.contracts.envelope import Payload, new_envelope
from libs.contracts.registry import encode
from libs.contracts.topics import ENROLLMENT_COMMANDS, ENROLLMENT_EVENTS
from libs.db.migrations import migrate
from libs.messaging import postgres
from services.enrollment.adapters.person_cache import PersonCache
from services.enrollment.adapters.repository import PgEnrollmentStore
from services.enrollment.bootstrap import MIGRATIONS, EnrollmentSettings
from services.enrollment.bootstrap import bootstrap as enrollment_bootstrap
from services.enrollment.domain import InsuredPerson
from services.enrollment.tests.unit.builders import VAULT, person
from services.settlement.bootstrap import SettlementSettings
from services.settlement.bootstrap import bootstrap as settlement_bootstrap
from tests.support.clients import Publisher, TopicReader
from tests.support.stack import Namespace, free_port


class Office:
    def __init__(self, namespace: Any, publisher: Publisher, events: TopicReader, url: str) -> None:
        self.namespace, self.publisher, self.events, self.url = namespace, publisher, events, url
        self.latencies: list[tuple[str, float]] = []
        self._settlement: asyncpg.Connection | None = None

    async def send(self, payload: Payload, at: datetime | None = None, *, raw: bytes | None = None) -> bytes:
        """Publish a command (its day is `at`, default now) and return the bytes sent."""
        env = new_envelope(payload, producer="test-office", correlation_id=payload.command_id,  # type: ignore[attr-defined]  # every command has it; Payload does not say
                           occurred_at=at or datetime.now(UTC))
        value = raw or encode(env)
        await self.publisher.send_raw(ENROLLMENT_COMMANDS, payload.psn_no, value)  # type: ignore[attr-defined]  # every command has it; Payload does not say
        await self.publisher.flush()
        return value

    async def projected(self, psn_no: str, condition: Callable[[dict[str, Any]], bool], *,
                        since: float, label: str | None = None, timeout: float = 15.0) -> tuple[dict[str, Any], float]:
        """Settlement's snapshot of the person once `condition` holds, and the seconds since `since`."""
        conn = await self._settlement_conn()
        while True:
            raw = await conn.fetchval("SELECT snapshot FROM coverage WHERE psn_no = $1", psn_no)
            if raw is not None and condition(snapshot := orjson.loads(raw)):
                elapsed = time.monotonic() - since
                if label:
                    self.latencies.append((label, elapsed))
                return snapshot, elapsed
            if time.monotonic() - since > timeout:
                raise TimeoutError(f"settlement's projection of {psn_no} did not reach the expected state")
            await asyncio.sleep(0.005)

    async def refusal(self, command_id: str, timeout: float = 15.0) -> Any:
        await self.events.wait_for(lambda: any(e.event_type == "EnrollmentCommandRefused"
                                               for e in self.events.by_correlation.get(command_id, [])), timeout)
        return next(e.payload for e in self.events.by_correlation[command_id] if e.event_type == "EnrollmentCommandRefused")

    async def settlement_value(self, sql: str, *args: Any) -> Any:
        return await (await self._settlement_conn()).fetchval(sql, *args)

    async def enrollment_value(self, sql: str, *args: Any) -> Any:
        conn = await asyncpg.connect(self.namespace.dsn("enrollment"))
        try:
            return await conn.fetchval(sql, *args)
        finally:
            await conn.close()

    async def _settlement_conn(self) -> asyncpg.Connection:
        if self._settlement is None:
            self._settlement = await asyncpg.connect(self.namespace.dsn("settlement"))
        return self._settlement

    async def close(self) -> None:
        if self._settlement is not None:
            await self._settlement.close()


@pytest.fixture(scope="session")
async def enrollment_namespace(stack) -> AsyncIterator[Namespace]:
    namespace = Namespace(stack)
    await namespace.create()
    yield namespace
    await namespace.drop()


@pytest.fixture(scope="module")
async def office(enrollment_namespace: Namespace) -> AsyncIterator[Office]:
    namespace = enrollment_namespace
    env = namespace.env
    port = free_port()
    enrollment, _ = enrollment_bootstrap(namespace.settings(
        EnrollmentSettings, ENROLLMENT_HTTP_PORT=port, ENROLLMENT_SNAPSHOT_REFRESH_SECONDS=0))
    settlement, _ = settlement_bootstrap(namespace.settings(SettlementSettings, SETTLEMENT_HTTP_PORT=free_port()))
    started = []
    try:
        for runtime in (enrollment, settlement):
            await runtime.start()
            started.append(runtime)
            await runtime.broker.start()
        async with Publisher(env["KAFKA_BOOTSTRAP"], namespace.topic_prefix) as publisher, \
                TopicReader(env["KAFKA_BOOTSTRAP"], namespace.topic_prefix, ENROLLMENT_EVENTS) as events:
            office = Office(namespace, publisher, events, f"http://127.0.0.1:{port}")
            yield office
            await office.close()
            print("\nprojection latency (publish -> settlement row):",
                  ", ".join(f"{label} {seconds * 1000:.0f} ms" for label, seconds in office.latencies))
    finally:
        for runtime in reversed(started):
            await runtime.broker.stop()
            await runtime.stop()


Connect = Callable[[], Awaitable[asyncpg.Connection]]


@pytest.fixture
async def connect(own_namespace) -> AsyncIterator[Connect]:
    """Opens connections to a migrated enrollment database; closes them at the end."""
    opened: list[asyncpg.Connection] = []

    async def opened_connection() -> asyncpg.Connection:
        conn = await asyncpg.connect(own_namespace.dsn("enrollment"))
        opened.append(conn)
        return conn

    await migrate(await opened_connection(), {"messaging": postgres.MIGRATIONS, "enrollment": MIGRATIONS})
    yield opened_connection
    for conn in opened:
        await conn.close()


_births = itertools.count()


def someone_new() -> InsuredPerson:
    """A person with an ID number no other test here uses (they all commit to the same database)."""
    return person(born=date(1960, 1, 1) + timedelta(days=next(_births)))


async def registered(conn: asyncpg.Connection, cache: PersonCache | None = None) -> str:
    someone = someone_new()
    async with conn.transaction():
        await PgEnrollmentStore(conn, VAULT, cache).add_person(someone)
    return someone.state.psn_no
