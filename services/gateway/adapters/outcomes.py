"""Replies from the platform: every outcome on `claims.outcomes` reaches the process that waits for it.

Each gateway process reads every partition of `claims.outcomes` (assigned, no consumer group, from
the end at start) and hands each record to its `OutcomeRouter`, which resolves the waits this process
holds (by claim id and operation) and passes over the rest after reading only the routing fields.
So a reply reaches the process holding the HTTP request whatever the partition, with no rebalance
when processes come and go. docs/architecture.md ("The hospital gateway") weighs the alternatives.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from libs.contracts.topics import CLAIMS_OUTCOMES
from libs.hospital.outcomes import OutcomeRouter
from libs.retry import READER, retry_transient

log = structlog.get_logger("gateway.outcomes")


class OutcomeListener:
    def __init__(self, bootstrap: str, topic_prefix: str, router: OutcomeRouter,
                 client_options: dict[str, Any] | None = None) -> None:
        self.topic = topic_prefix + CLAIMS_OUTCOMES.name
        self.router = router
        self._bootstrap = bootstrap
        self._options = client_options or {}  # the principal's SASL settings, where the broker wants them
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._consumer = AIOKafkaConsumer(bootstrap_servers=self._bootstrap, enable_auto_commit=False,
                                          fetch_max_wait_ms=20, **self._options)
        await self._consumer.start()
        partitions = self._consumer.partitions_for_topic(self.topic)
        if not partitions:
            await self._consumer._client.force_metadata_update()
            partitions = self._consumer.partitions_for_topic(self.topic)
        if not partitions:
            raise RuntimeError(f"topic {self.topic} does not exist; create the platform's topics first (make up)")
        assigned = [TopicPartition(self.topic, p) for p in sorted(partitions)]
        self._consumer.assign(assigned)
        await self._consumer.seek_to_end(*assigned)
        for tp in assigned:  # resolve the end now: nothing sent after start can be missed
            await self._consumer.position(tp)
        self._task = asyncio.create_task(self._read(), name="gateway-outcomes")

    async def _read(self) -> None:
        # The broker went away: read again after jittered, growing waits (the HIS's waits time out meanwhile).
        await retry_transient(self._read_batches, READER, (KafkaError,), on_retry=lambda attempt, exc, wait: log.warning(
            "outcomes_read_failed", error=repr(exc), attempt=attempt, wait_s=round(wait, 2)))

    async def _read_batches(self) -> None:
        assert self._consumer is not None
        while True:
            batches = await self._consumer.getmany(timeout_ms=200, max_records=5000)
            now = time.perf_counter()
            for records in batches.values():
                for record in records:
                    self.router.deliver(record.value, now)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._consumer is not None:
            await self._consumer.stop()
