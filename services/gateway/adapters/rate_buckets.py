"""The institutions' token buckets: in the gateway's database, shared by every gateway process (one row
per institution, `rate_buckets`), and in memory for one process (the fake the unit tests use).

The database bucket is refilled and taken in one statement, under the row's lock, with the time measured
by the database's clock from the row's own `updated_at`: two processes cannot both take the last token,
and their clocks never enter the sum. A request that gets no token writes nothing (the bucket refills
from the same `updated_at` either way), so a flood of refused requests makes no row versions.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from services.gateway.domain.rate_limit import RatePolicy, Take

# RatePolicy.refilled, in SQL: $2 the rate a second, $3 the burst; time is the database's, never negative.
_LEVEL = ("least($3::float8, b.tokens + greatest(0, extract(epoch FROM clock_timestamp() - b.updated_at))::float8"
          " * $2::float8)")
_TAKE = (
    "INSERT INTO rate_buckets AS b (fixmedins_code, tokens, updated_at) VALUES ($1, $3::float8 - 1, clock_timestamp())"
    f" ON CONFLICT (fixmedins_code) DO UPDATE SET tokens = {_LEVEL} - 1, updated_at = clock_timestamp()"
    f" WHERE {_LEVEL} >= 1"
    " RETURNING b.tokens"
)
# After a refusal: what the bucket holds now, for the Retry-After (advice: another take may come between).
_LEFT = f"SELECT {_LEVEL} FROM rate_buckets AS b WHERE b.fixmedins_code = $1"


class PgRateBuckets:
    """The buckets in the gateway's database, each take a statement of its own (its own transaction) on a
    connection from the pool: the row's lock lasts that statement, and its commit waits for no WAL flush
    (the table is unlogged). A refused take reads the bucket's level in a second statement, for the
    Retry-After."""

    def __init__(self, pool: Callable[[], Any]) -> None:
        self._pool = pool  # the service's pool, set at start-up

    async def take(self, institution: str, policy: RatePolicy) -> Take:
        args = (institution, float(policy.rate_per_s), float(policy.burst))
        async with self._pool().acquire() as conn:
            tokens = await conn.fetchval(_TAKE, *args)
            return Take(True, tokens) if tokens is not None else Take(False, await conn.fetchval(_LEFT, *args))


class MemoryRateBuckets:
    """One process's buckets (the unit tests' fake): a gateway running several processes must not use it,
    each would allow the whole rate."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # institution -> (tokens, at)

    async def take(self, institution: str, policy: RatePolicy) -> Take:
        now = self.clock()
        tokens, at = self._buckets.get(institution, (None, now))
        take = policy.take(tokens, now - at)
        if take.taken:
            self._buckets[institution] = (take.tokens, now)
        return take
