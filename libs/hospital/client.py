"""A HIS's way into the platform: submit a claim, await its outcome.

Outcomes are keyed by the institution's code, so all of one hospital's replies land in one partition
of `claims.outcomes`; the client reads only that partition (assigned, no consumer group), from the
moment it starts, and hands each reply to whoever awaits that claim id.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.partitioner import DefaultPartitioner

from libs.contracts.claims import ClaimCancelRequested, ClaimSubmitted
from libs.contracts.envelope import Envelope, new_envelope
from libs.contracts.registry import UndecodableMessage, decode, encode
from libs.contracts.topics import CLAIMS_OUTCOMES, CLAIMS_SUBMITTED


class HospitalClient:
    def __init__(self, bootstrap: str, fixmedins_code: str, topic_prefix: str = "") -> None:
        self.fixmedins_code = fixmedins_code
        self._bootstrap, self._prefix = bootstrap, topic_prefix
        self._producer: AIOKafkaProducer | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._waiters: dict[str, asyncio.Future[Envelope[Any]]] = {}
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> HospitalClient:
        self._producer = AIOKafkaProducer(bootstrap_servers=self._bootstrap, acks="all", enable_idempotence=True)
        await self._producer.start()
        topic = self._prefix + CLAIMS_OUTCOMES.name
        self._consumer = AIOKafkaConsumer(bootstrap_servers=self._bootstrap, enable_auto_commit=False)
        await self._consumer.start()
        partitions = sorted(self._consumer.partitions_for_topic(topic) or await self._partitions(topic))
        mine = TopicPartition(topic, DefaultPartitioner()(self.fixmedins_code.encode(), partitions, partitions))
        self._consumer.assign([mine])
        await self._consumer.seek_to_end(mine)
        self._reader = asyncio.create_task(self._read())
        return self

    async def _partitions(self, topic: str) -> set[int]:
        assert self._consumer is not None
        await self._consumer._client.force_metadata_update()  # first use: metadata not loaded yet
        return self._consumer.partitions_for_topic(topic) or {0}

    async def __aexit__(self, *exc: object) -> None:
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        if self._consumer is not None:
            await self._consumer.stop()
        if self._producer is not None:
            await self._producer.stop()

    async def _read(self) -> None:
        assert self._consumer is not None
        async for record in self._consumer:
            try:
                env = decode(record.value)
            except UndecodableMessage:
                continue
            waiter = self._waiters.pop(env.correlation_id, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(env)

    async def submit(self, claim: ClaimSubmitted, timeout: float = 30.0) -> Envelope[Any]:
        """Send a settle or pre-settle request and wait for its outcome (ClaimSettled, ClaimRejected...)."""
        return await self._send(claim, claim.psn_no, claim.claim_id, timeout)

    async def cancel(self, request: ClaimCancelRequested, timeout: float = 30.0) -> Envelope[Any]:
        return await self._send(request, request.psn_no, request.claim_id, timeout)

    async def _send(self, payload: Any, key: str, correlation_id: str, timeout: float) -> Envelope[Any]:
        assert self._producer is not None, "use `async with HospitalClient(...)`"
        waiter = asyncio.get_running_loop().create_future()
        self._waiters[correlation_id] = waiter
        env = new_envelope(payload, producer=self.fixmedins_code, correlation_id=correlation_id)
        await self._producer.send_and_wait(self._prefix + CLAIMS_SUBMITTED.name, encode(env), key=key.encode())
        try:
            return await asyncio.wait_for(waiter, timeout)
        finally:
            self._waiters.pop(correlation_id, None)
