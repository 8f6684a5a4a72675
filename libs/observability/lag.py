"""Consumer lag per group, measured against Kafka and exported as `medins_consumer_group_lag`.

Lag is what is on a partition (its end offset) and not yet committed by the group. One process of
a service measures it for every group (`LAG_EXPORTER`, see libs/observability/service.py: by default
the first process of the console, whose Kafka principal may describe every group, and of enrollment,
a follower off the hospital's path; a principal that may not stops trying) every `every` seconds, with one
admin client and one consumer that never joins a group; a scrape reads the last measurement, never
Kafka itself. `medins_consumer_group_lag_measured_timestamp_seconds` says when that was, so a stale
figure shows (and `LagCollectorStale` fires).

    python -m libs.observability.lag            # print every group's lag once
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    GroupAuthorizationFailedError,
    TopicAuthorizationFailedError,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector, CollectorRegistry

from libs.settings import StackSettings

log = structlog.get_logger("lag")
LAG_METRIC = "medins_consumer_group_lag"  # a custom collector's, so not in metrics.py: named once here


@dataclass(frozen=True)
class PartitionLag:
    group: str
    topic: str
    partition: int
    committed: int
    end: int

    @property
    def lag(self) -> int:
        return max(0, self.end - max(self.committed, 0))


async def measure(admin: AIOKafkaAdminClient, consumer: AIOKafkaConsumer, prefix: str = "") -> list[PartitionLag]:
    """Every partition of every group whose name starts with `prefix` (names are returned without it)."""
    listed = await admin.list_consumer_groups()
    groups = sorted({g[0] if isinstance(g, tuple) else g.group_id for g in listed})
    out: list[PartitionLag] = []
    for group in (g for g in groups if g.startswith(prefix)):
        committed = await admin.list_consumer_group_offsets(group)
        if not committed:
            continue
        ends = await consumer.end_offsets(list(committed))
        out.extend(PartitionLag(group.removeprefix(prefix), tp.topic.removeprefix(prefix), tp.partition,
                                meta.offset, ends[tp]) for tp, meta in committed.items())
    return out


@dataclass(eq=False)  # hashable: a registry keeps its collectors in a dict
class LagCollector(Collector):
    """Measures periodically in the event loop; `collect` (a scrape) exports the last measurement."""

    bootstrap: str
    prefix: str = ""
    every: float = 10.0
    options: Mapping[str, Any] = field(default_factory=dict)  # aiokafka's: credentials, backoff
    last: list[PartitionLag] = field(default_factory=list)
    measured_at: float = 0.0
    _task: asyncio.Task[None] | None = None

    async def measure_once(self) -> list[PartitionLag]:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, client_id="lag-collector", **self.options)
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, client_id="lag-collector",
                                    enable_auto_commit=False, **self.options)
        await admin.start()
        try:
            await consumer.start()
            try:
                self.last = await measure(admin, consumer, self.prefix)
            finally:
                await consumer.stop()
        finally:
            await admin.close()
        self.measured_at = time.time()
        return self.last

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="lag-collector")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self.measure_once(), timeout=max(self.every, 10.0))
            except (ClusterAuthorizationFailedError, GroupAuthorizationFailedError, TopicAuthorizationFailedError) as exc:
                # this process's principal may not describe the groups (Kafka's ACLs): another measures
                log.warning("lag_not_permitted", error=repr(exc))
                return
            except Exception as exc:  # Kafka away: keep the last figure; its timestamp ages
                log.warning("lag_not_measured", error=repr(exc))
            await asyncio.sleep(self.every)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        lag = GaugeMetricFamily(LAG_METRIC, "Records on a partition not yet committed by the "
                                "consumer group (end offset minus committed offset).",
                                labels=["group", "topic", "partition"])
        for p in self.last:
            lag.add_metric([p.group, p.topic, str(p.partition)], p.lag)
        yield lag
        measured = GaugeMetricFamily("medins_consumer_group_lag_measured_timestamp_seconds",
                                     "When the consumer lag was last measured (Unix time; 0: never).")
        measured.add_metric([], self.measured_at)
        yield measured

    def register(self, registry: CollectorRegistry = REGISTRY) -> LagCollector:
        registry.register(self)
        return self

    def unregister(self, registry: CollectorRegistry = REGISTRY) -> None:
        registry.unregister(self)


def main() -> None:
    settings = StackSettings()
    rows = asyncio.run(LagCollector(settings.kafka_bootstrap, settings.topic_prefix).measure_once())
    for p in sorted(rows, key=lambda r: (r.group, r.topic, r.partition)):
        print(f"{p.group:40} {p.topic:28} {p.partition:3} lag {p.lag}")


if __name__ == "__main__":
    main()

