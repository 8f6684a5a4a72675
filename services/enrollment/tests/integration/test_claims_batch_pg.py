"""The batch path of claims.outcomes on Postgres: the same rows and messages as one by one, in a few statements.

Each comparison runs both paths from the same state inside one transaction, each in a savepoint that is
rolled back afterwards, on a connection that counts the statements sent through it. Both paths share one
cache of replayed persons, as the service's do: the second path starts from entries the first one's
rolled-back work left behind.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import asyncpg
import orjson
import pytest

from libs.contracts import claims as c
from libs.contracts.envelope import Envelope
from libs.db.migrations import migrate
from libs.messaging import postgres
from libs.messaging.records import DeadLetter, OutgoingMessage
from services.enrollment.adapters.person_cache import PersonCache
from services.enrollment.bootstrap import MIGRATIONS, pg_stores
from services.enrollment.service_layer.handlers import EnrollmentService
from services.enrollment.tests.unit.builders import VAULT
from services.enrollment.tests.unit.claim_runs import envelopes, history, outgoing, run
from services.enrollment.tests.unit.service_kit import JUNE_2026, POLICY, cancelled_claim, resident, settled_claim

pytestmark = pytest.mark.integration

PEOPLE = [f"P{n}" for n in range(3, 13)]


class CountingConnection:
    """The asyncpg connection, remembering every statement sent through it (a savepoint counts as one)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn
        self.statements: list[str] = []

    def _counted(self, name: str) -> Callable[..., Awaitable[Any]]:
        async def call(sql: str, *args: Any) -> Any:
            self.statements.append(sql)
            return await getattr(self._conn, name)(sql, *args)
        return call

    def __getattr__(self, name: str) -> Any:
        if name in ("execute", "executemany", "fetch", "fetchrow", "fetchval"):
            return self._counted(name)
        raise AttributeError(name)

    def transaction(self) -> Any:
        self.statements.append("SAVEPOINT")
        return self._conn.transaction()


class RecordingTransaction:
    """The runtime's transaction over one connection, keeping what would go to the outbox."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.outbox: list[OutgoingMessage] = []

    async def claim_new(self, consumer: str, message_ids: list[str], digests: list[bytes] | None = None) -> set[str]:
        return set(message_ids)

    async def digests(self, consumer: str, message_ids: list[str]) -> dict[str, bytes | None]:
        return {}  # no inbox: nothing was seen before

    def publish(self, message: OutgoingMessage) -> None:
        self.outbox.append(message)

    def park(self, dead: DeadLetter) -> None:
        raise AssertionError(f"nothing here is parked: {dead.reason}")

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        mark = len(self.outbox)
        try:
            async with self.conn.transaction():
                yield
        except BaseException:
            del self.outbox[mark:]
            raise


def pg_service(cache: PersonCache) -> EnrollmentService:
    return EnrollmentService(POLICY, pg_stores(VAULT, cache))  # reads `conn`, which RecordingTransaction has


@pytest.fixture
def cache() -> PersonCache:
    return PersonCache(1_000)


@pytest.fixture
async def conn(own_namespace, cache: PersonCache) -> AsyncIterator[asyncpg.Connection]:
    """A connection in a transaction holding the shared history and ten more people; rolled back at the end."""
    conn = await asyncpg.connect(own_namespace.dsn("enrollment"))
    try:
        await migrate(conn, {"messaging": postgres.MIGRATIONS, "enrollment": MIGRATIONS})
        transaction = conn.transaction()
        await transaction.start()
        service, tx = pg_service(cache), RecordingTransaction(conn)
        seed = [*history(), *(resident(p, n + 3) for n, p in enumerate(PEOPLE))]
        for env in envelopes(seed, at=JUNE_2026):
            await deliver(service, tx, env)
        yield conn
        await transaction.rollback()
    finally:
        await conn.close()


async def stored_rows(conn: asyncpg.Connection) -> dict[str, list[tuple[Any, ...]]]:
    persons = await conn.fetch("SELECT psn_no, certno, snapshot_version, snapshot, snapshot_on FROM persons ORDER BY psn_no")
    events = await conn.fetch("SELECT psn_no, seq, event_type, data, command_id FROM person_events ORDER BY psn_no, seq")
    register = await conn.fetch("SELECT claim_id, psn_no, settlement_year, fund_paid, cancel_id, cancelled_at IS NULL"
                                " FROM claim_fund_payments ORDER BY claim_id")
    years = await conn.fetch("SELECT psn_no, settlement_year, fund_paid FROM fund_payment_years ORDER BY 1, 2")
    commands = await conn.fetch("SELECT command_id, command_type, psn_no, payload_hash, outcome, reason_code, reason,"
                                " version FROM enrollment_commands ORDER BY command_id")
    return {
        "persons": [(*r[:3], orjson.loads(r[3]) if r[3] else None, r[4]) for r in persons],
        "events": [(*r[:3], orjson.loads(r[3]), r[4]) for r in events],
        "commands": [tuple(r) for r in commands],
        "register": [tuple(r) for r in register],
        "years": [tuple(r) for r in years],
    }


Path = Callable[[EnrollmentService, RecordingTransaction, Sequence[Envelope[Any]]], Awaitable[None]]


async def deliver(service: EnrollmentService, tx: RecordingTransaction, env: Envelope[Any]) -> None:
    """As the service's consumers would: claims to the register, commands to `execute`."""
    if isinstance(env.payload, c.ClaimSettled | c.ClaimCancelled):
        await service.claims_table()[type(env.payload)](tx, env)
    else:
        await service.execute(tx, env)


async def one_by_one(service: EnrollmentService, tx: RecordingTransaction, run: Sequence[Envelope[Any]]) -> None:
    for env in run:
        await service.claims_table()[type(env.payload)](tx, env)


async def as_one_run(service: EnrollmentService, tx: RecordingTransaction, run: Sequence[Envelope[Any]]) -> None:
    await service.claims_batch_table()[c.ClaimSettled](tx, run)


async def handled(conn: asyncpg.Connection, cache: PersonCache, path: Path,
                  run: Sequence[Envelope[Any]]) -> tuple[Any, Any, list[str]]:
    """The rows and messages after `path` handled the run, and the statements it took; then undone."""
    savepoint = conn.transaction()
    await savepoint.start()
    counting = CountingConnection(conn)
    tx = RecordingTransaction(counting)
    await path(pg_service(cache), tx, run)
    statements = counting.statements
    rows = await stored_rows(conn)
    await savepoint.rollback()
    return rows, outgoing(tx.outbox), statements


def fifty_outcomes() -> list[Any]:
    """Ten people, five outcomes each, over two years; every seventh cancels the claim before it."""
    found: list[Any] = []
    for n in range(50):
        if n % 7 == 6:
            previous = found[-1]
            found.append(cancelled_claim(previous.claim_id, previous.psn_no, f"K{n}"))
        else:
            found.append(settled_claim(f"F{n}", PEOPLE[n % 10], datetime(2025 + n % 2, 3, 1 + n % 28, 9), 1_000 * (n % 3)))
    return found


async def test_the_shared_run_stores_and_publishes_on_postgres_what_handling_it_one_by_one_does(conn, cache) -> None:
    the_run = envelopes(run())
    reference = await handled(conn, cache, one_by_one, the_run)
    batched = await handled(conn, cache, as_one_run, the_run)
    assert batched[0] == reference[0]
    assert batched[1] == reference[1]


def years_crossing_zero(outcomes: list[Any]) -> int:
    """How many times a person's year of fund payments goes from nothing to something or back."""
    totals: dict[tuple[str, int], int] = {}
    settled: dict[str, tuple[tuple[str, int], int]] = {}
    crossings = 0
    for m in outcomes:
        if isinstance(m, c.ClaimSettled):
            key, fen = (m.psn_no, m.setl_time.year), m.amounts.fund_pay_sumamt
            settled[m.claim_id] = (key, fen)
        else:
            key, paid = settled[m.claim_id]
            fen = -paid
        before = totals.get(key, 0)
        totals[key] = before + fen
        crossings += (before > 0) != (totals[key] > 0)
    return crossings


async def test_a_run_of_fifty_outcomes_takes_three_statements_and_four_more_for_the_years_that_changed(conn, cache) -> None:
    outcomes = fifty_outcomes()
    the_run = envelopes(outcomes)
    events_before = len((await stored_rows(conn))["events"])
    reference_rows, reference_out, reference_statements = await handled(conn, cache, one_by_one, the_run)
    rows, out, statements = await handled(conn, cache, as_one_run, the_run)
    assert (rows, out) == (reference_rows, reference_out)
    crossings = years_crossing_zero(outcomes)
    assert 0 < crossings < 25
    assert len(rows["events"]) == events_before + crossings and any(m[2] == "CoverageChanged" for m in out)
    assert len(rows["register"]) == sum(isinstance(m, c.ClaimSettled) for m in outcomes) + 2  # and OLD-2026, OLD-2024
    print(f"\n50 outcomes: {len(reference_statements)} statements one by one, {len(statements)} as one run")
    # the register: locks, read, write; the persons' rows and streams, their new events, their snapshots
    assert len(statements) == 7, statements


async def test_a_run_whose_years_stay_as_they_were_touches_no_person(conn, cache) -> None:
    more = [settled_claim(f"M{n}", "P1", datetime(2026, 4, 1 + n, 9), 700) for n in range(5)]  # 2026 is paid already
    rows, out, statements = await handled(conn, cache, as_one_run, envelopes(more))
    assert out == [] and len(statements) == 3
    assert ("P1", 2026, 3_000 + 5 * 700) in rows["years"]
