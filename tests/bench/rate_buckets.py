"""What the shared rate limit costs the gateway: the bucket's statement, timed on the real Postgres.

    python -m tests.bench.rate_buckets                 # 3000 requests each way
    python -m tests.bench.rate_buckets --requests 6000

Each "request" is the gateway's access transaction cut to what the rate limit touches: the nonce's
INSERT, then (or not) the bucket's take, then COMMIT, on one institution. Reported, in ms per request:
one connection after another (the take's own cost), then two pools of four connections each, as two
gateway processes, all on one institution (the bucket's row lock is the point of contention).
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid

import asyncpg

from libs.db.migrations import migrate
from libs.db.pool import create_pool
from libs.messaging import postgres
from services.gateway.adapters.rate_buckets import PgRateBuckets
from services.gateway.bootstrap import MIGRATIONS
from services.gateway.domain.rate_limit import RatePolicy
from tests.support.stack import Namespace, servers

POLICY = RatePolicy(rate_per_s=1e6, burst=1e6)  # never refuses: every request pays the full take
ROUNDS = 3


async def request(conn: asyncpg.Connection, code: str, take: bool, takes: list[float] | None = None) -> None:
    async with conn.transaction():
        await conn.execute("INSERT INTO nonces (app_id, nonce) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                           "bench", uuid.uuid4().hex)
        if take:
            at = time.perf_counter()
            assert (await PgRateBuckets(conn).take(code, POLICY)).taken
            if takes is not None:
                takes.append((time.perf_counter() - at) * 1000)


async def sequential(dsn: str, requests: int, take: bool, takes: list[float] | None = None) -> float:
    conn = await asyncpg.connect(dsn)
    try:
        code = "B" + uuid.uuid4().hex[:11]
        await request(conn, code, take)  # the row exists, statements are prepared
        started = time.perf_counter()
        for _ in range(requests):
            await request(conn, code, take, takes)
        return (time.perf_counter() - started) * 1000 / requests
    finally:
        await conn.close()


async def two_processes(dsn: str, requests: int, take: bool) -> tuple[float, float]:
    """Wall ms per request and the p99 of one request's ms, 2 pools x 4 connections on one institution."""
    pools = [await create_pool(dsn, max_size=4) for _ in range(2)]
    code, latencies = "B" + uuid.uuid4().hex[:11], []

    async def worker(pool: asyncpg.Pool, count: int) -> None:
        for _ in range(count):
            async with pool.acquire() as conn:
                at = time.perf_counter()
                await request(conn, code, take)
                latencies.append((time.perf_counter() - at) * 1000)

    try:
        started = time.perf_counter()
        await asyncio.gather(*(worker(pool, requests // 8) for pool in pools for _ in range(4)))
        wall = (time.perf_counter() - started) * 1000 / (requests // 8 * 8)
        return wall, sorted(latencies)[int(len(latencies) * 0.99)]
    finally:
        for pool in pools:
            await pool.close()


async def main(requests: int) -> None:
    with servers() as stack:
        ns = Namespace(stack)
        await ns.create()
        try:
            dsn = ns.dsn("gateway")
            conn = await asyncpg.connect(dsn)
            await migrate(conn, {"messaging": postgres.MIGRATIONS, "gateway": MIGRATIONS})
            await conn.close()
            for _ in range(ROUNDS):  # alternated: the machine's load drifts between rounds
                takes: list[float] = []
                alone = await sequential(dsn, requests, take=False)
                taking = await sequential(dsn, requests, take=True, takes=takes)
                takes.sort()
                print(f"one connection: {alone:.3f} ms a request without the take, {taking:.3f} ms with it; "
                      f"the take's statement: mean {sum(takes) / len(takes):.3f} ms, median "
                      f"{takes[len(takes) // 2]:.3f}, p99 {takes[int(len(takes) * 0.99)]:.3f}")
            for take in (False, True):
                wall, p99 = await two_processes(dsn, requests, take)
                print(f"two pools x 4, one institution, {'with' if take else 'without'} the take: "
                      f"{wall:.3f} ms a request ({1000 / wall:.0f} a second), p99 {p99:.2f} ms")
        finally:
            await ns.drop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    asyncio.run(main(parser.parse_args().requests))
