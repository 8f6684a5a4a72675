"""What `/ready` checks: the database answers, every migration is applied, Kafka answers, and every
subscription of the process has its partitions assigned (its consumer group finished joining).

Each check is bounded by a timeout, so a hung server makes the answer "not ready", never a hung probe.
The same checks also run in the background (`libs/observability/service.py`, every `READY_POLL_S` s) and
are exported as `medins_ready{check}` (`record`): an alert fires on a dependency unreachable for a minute
while the process itself still answers /metrics. Not at each scrape: a scrape stays a read of the registry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from libs.db.migrations import migration_files
from libs.observability.metrics import READY

CHECK_TIMEOUT = 2.0

Check = Callable[[], Awaitable[bool]]


async def database_answers(pool: asyncpg.Pool | None) -> bool:
    return pool is not None and await pool.fetchval("SELECT 1") == 1


async def migrations_applied(pool: asyncpg.Pool | None, namespaces: Mapping[str, Path]) -> bool:
    if pool is None:
        return False
    rows = await pool.fetch("SELECT namespace, version FROM schema_migrations")
    applied = {(r["namespace"], r["version"]) for r in rows}
    return all((ns, v) in applied for ns, folder in namespaces.items() for v, _ in migration_files(folder))


async def kafka_answers(producer: Any) -> bool:
    """The process's own producer (the relay's) fetches the cluster's metadata."""
    client = getattr(producer, "client", None)
    if client is None:
        return False
    await client.fetch_all_metadata()
    return True


def assigned(subscriber: Any) -> bool:
    """The subscriber's consumer has been given its share of the partitions (possibly none, when the
    group has more members than partitions): its group join is done."""
    consumer = getattr(subscriber, "consumer", None)
    state = getattr(consumer, "_subscription", None)
    subscription = getattr(state, "subscription", None)
    return subscription is not None and subscription.assignment is not None


async def consumers_assigned(subscribers: Iterable[Any]) -> bool:
    return all(assigned(s) for s in subscribers)


@dataclass
class Readiness:
    checks: Mapping[str, Check]

    async def run(self) -> dict[str, bool]:
        names = list(self.checks)
        results = await asyncio.gather(*(self._one(self.checks[n]) for n in names))
        return dict(zip(names, results, strict=True))

    @staticmethod
    async def _one(check: Check) -> bool:
        try:
            return bool(await asyncio.wait_for(check(), CHECK_TIMEOUT))
        except Exception:
            return False


def record(checks: Mapping[str, bool]) -> None:
    """`medins_ready{check}`: 1 for a check that passed, 0 for one that failed."""
    for check, ok in checks.items():
        READY.labels(check).set(1 if ok else 0)
