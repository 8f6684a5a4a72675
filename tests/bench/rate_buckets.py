"""What the shared rate limit costs the gateway: the bucket's statement, timed on the real Postgres.

    python -m tests.bench.rate_buckets                 # 3000 requests each way
    python -m tests.bench.rate_buckets --requests 6000

Each "request" is what the gateway does around the rate limit: the access transaction cut to the nonce's
INSERT and its COMMIT, then (or not) the bucket's take, a statement of its own on a connection of the
same pool, as services/gateway/entrypoints/http.py does. Reported: one request after another on one
connection (three rounds, alternated: the machine's load drifts), with the take statement's own time;
then two pools of four connections each, as two gateway processes, all on one institution (the bucket's
row lock is the point of contention).
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


async def request(pool: asyncpg.Pool, code: str, take: bool, takes: list[float]) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("INSERT INTO nonces (app_id, nonce) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                           "bench", uuid.uuid4().hex)
    if take:
        at = time.perf_counter()
        assert (await PgRateBuckets(lambda: pool).take(code, POLICY)).taken
        takes.append((time.perf_counter() - at) * 1000)


def ms(values: list[float], share: float) -> float:
    return sorted(values)[min(len(values) - 1, int(len(values) * share))]


async def run(dsn: str, requests: int, take: bool, pools: int, connections: int) -> tuple[float, list[float], list[float]]:
    """Wall ms a request, each request's ms, each take's ms: `pools` x `connections` on one institution."""
    opened = [await create_pool(dsn, max_size=connections) for _ in range(pools)]
    code, latencies, takes = "B" + uuid.uuid4().hex[:11], list[float](), list[float]()
    per_worker = requests // (pools * connections)

    async def worker(pool: asyncpg.Pool) -> None:
        for _ in range(per_worker):
            at = time.perf_counter()
            await request(pool, code, take, takes)
            latencies.append((time.perf_counter() - at) * 1000)

    try:
        await request(opened[0], code, take, [])  # the row exists, statements are prepared
        started = time.perf_counter()
        await asyncio.gather(*(worker(pool) for pool in opened for _ in range(connections)))
        return (time.perf_counter() - started) * 1000 / len(latencies), latencies, takes
    finally:
        for pool in opened:
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
            for _ in range(ROUNDS):
                alone, _, _ = await run(dsn, requests, False, 1, 1)
                taking, _, takes = await run(dsn, requests, True, 1, 1)
                print(f"one connection: {alone:.3f} ms a request without the take, {taking:.3f} ms with it; the take: "
                      f"mean {sum(takes) / len(takes):.3f} ms, median {ms(takes, 0.5):.3f}, p99 {ms(takes, 0.99):.3f}")
            for take in (False, True):
                wall, latencies, _ = await run(dsn, requests, take, 2, 4)
                print(f"two pools x 4, one institution, {'with' if take else 'without'} the take: {1000 / wall:.0f} "
                      f"requests a second, p50 {ms(latencies, 0.5):.2f} ms, p99 {ms(latencies, 0.99):.2f} ms")
        finally:
            await ns.drop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    asyncio.run(main(parser.parse_args().requests))
