"""CPU a claim of the batch path of `claims.outcomes` alone, on Postgres (not collected by pytest).

    PGHOST=127.0.0.1 .venv/bin/python -m services.enrollment.tests.integration.bench_claims_batch [--cold] [--profile]

Registers 250 persons and records 18 settled claims for each (over two years; each person's stream
gets the years that changed), then times 50 runs of 50 `ClaimSettled`, each run its own committed
transaction, in a scratch database dropped at the end.
`--cold` times them with an empty cache of replayed persons, as right after a start;
`ENROLLMENT_PERSON_CACHE_SIZE=0` without any cache.
"""

from __future__ import annotations

import asyncio
import cProfile
import pstats
import sys
import time
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from libs.contracts import claims as c
from libs.contracts.envelope import Envelope
from libs.db.migrations import migrate
from libs.messaging import postgres
from libs.settings import StackSettings
from services.enrollment.tests.unit.builders import VAULT
from services.enrollment.adapters.person_cache import PersonCache
from services.enrollment.bootstrap import MIGRATIONS, EnrollmentSettings, pg_stores
from services.enrollment.service_layer.handlers import EnrollmentService
from services.enrollment.tests.integration.test_claims_batch_pg import RecordingTransaction
from services.enrollment.tests.unit.claim_runs import envelopes
from services.enrollment.tests.unit.service_kit import JUNE_2026, POLICY, resident, settled_claim

PEOPLE = [f"B{n:05d}" for n in range(250)]
RUNS, PER_RUN, SEEDED_CLAIMS = 50, 50, 18


def service() -> EnrollmentService:
    return EnrollmentService(POLICY, pg_stores(VAULT, PersonCache(EnrollmentSettings().person_cache_size)))


async def handle_runs(conn: asyncpg.Connection, enrollment: EnrollmentService, runs: Sequence[Sequence[Envelope[Any]]]) -> None:
    batch = enrollment.claims_batch_table()[c.ClaimSettled]
    for run in runs:
        async with conn.transaction():
            await batch(RecordingTransaction(conn), run)


async def seed(conn: asyncpg.Connection, enrollment: EnrollmentService) -> None:
    async with conn.transaction():
        for env in envelopes([resident(p, n + 1) for n, p in enumerate(PEOPLE)], at=JUNE_2026):
            await enrollment.execute(RecordingTransaction(conn), env)
    claims = [settled_claim(f"S{k}-{p}", p, datetime(2025 + k % 2, 1 + k % 12, 1 + k % 28, 9), 1_000 * (k % 3))
              for k in range(SEEDED_CLAIMS) for p in PEOPLE]
    await handle_runs(conn, enrollment, [envelopes(claims[i:i + 500], at=JUNE_2026) for i in range(0, len(claims), 500)])


async def main(cold: bool, profile: bool) -> None:
    stack, database = StackSettings(), f"bench_enrollment_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(stack.dsn("postgres"))
    await admin.execute(f'CREATE DATABASE "{database}"')
    try:
        conn = await asyncpg.connect(stack.dsn(database))
        await migrate(conn, {"messaging": postgres.MIGRATIONS, "enrollment": MIGRATIONS})
        enrollment = service()
        await seed(conn, enrollment)
        events = await conn.fetchval("SELECT count(*)::float / count(DISTINCT psn_no) FROM person_events")
        runs = [envelopes([settled_claim(f"R{r}-{k}", PEOPLE[(r * PER_RUN + k) % len(PEOPLE)],
                                         datetime(2026, 1 + k % 5, 1 + k % 28, 9), 1_000 * (k % 2))
                           for k in range(PER_RUN)], at=JUNE_2026 + timedelta(days=1)) for r in range(RUNS)]
        profiler = cProfile.Profile() if profile else None
        cpu, wall = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        await handle_runs(conn, service() if cold else enrollment, runs)
        if profiler:
            profiler.disable()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        print(f"{RUNS} runs of {PER_RUN} outcomes, {events:.0f} events a person at the start: "
              f"{cpu / (RUNS * PER_RUN) * 1e6:.0f} µs of CPU a claim ({wall / (RUNS * PER_RUN) * 1e6:.0f} µs wall)")
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        await conn.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main(cold="--cold" in sys.argv, profile="--profile" in sys.argv))
