"""What tests use to play a hospital or an enrollment office: publish envelopes, read outcomes.

Both authenticate like any client: the publisher sends each topic as the principal the ACL table lets
write it (the gateway for claims, the offices for enrollment commands, a service for its own events;
libs/messaging/acl.py), the reader reads as admin (test tooling: it reads any topic)."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from typing import Any

from aiokafka import AIOKafkaConsumer

from libs.contracts.envelope import Envelope, Payload, new_envelope
from libs.contracts.registry import decode, encode
from libs.contracts.topics import Topic
from libs.messaging.acl import ADMIN
from libs.messaging.connection import ActingProducer, client_options, credentials_of


class Publisher:
    def __init__(self, bootstrap: str, prefix: str) -> None:
        self.prefix = prefix
        self._producer = ActingProducer(bootstrap, acks="all", enable_idempotence=True, linger_ms=5)

    async def __aenter__(self) -> Publisher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._producer.stop()

    def envelope(self, payload: Payload, correlation_id: str, producer: str = "test-hospital") -> Envelope[Any]:
        return new_envelope(payload, producer=producer, correlation_id=correlation_id)

    async def send(self, topic: Topic, key: str, payload: Payload, correlation_id: str) -> Envelope[Any]:
        env = self.envelope(payload, correlation_id)
        await self.send_raw(topic, key, encode(env))
        return env

    async def send_raw(self, topic: Topic, key: str, value: bytes, headers: list[tuple[str, bytes]] | None = None) -> None:
        await self._producer.send(topic, self.prefix + topic.name, value=value, key=key.encode(), headers=headers)

    async def flush(self) -> None:
        await self._producer.flush()


class TopicReader:
    """Reads a topic from the beginning in the background, keeping every message by correlation id."""

    def __init__(self, bootstrap: str, prefix: str, topic: Topic, decode_envelopes: bool = True) -> None:
        self._consumer = AIOKafkaConsumer(
            prefix + topic.name, bootstrap_servers=bootstrap, group_id=f"reader-{uuid.uuid4().hex[:8]}",
            auto_offset_reset="earliest", enable_auto_commit=False, **client_options(credentials_of(ADMIN)),
        )
        self._decode = decode_envelopes
        self.by_correlation: dict[str, list[Any]] = defaultdict(list)
        self.raw: list[Any] = []
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> TopicReader:
        await self._consumer.start()
        self._task = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        await self._consumer.stop()

    async def _read(self) -> None:
        async for record in self._consumer:
            self.raw.append(record)
            if self._decode:
                env = decode(record.value)
                self.by_correlation[env.correlation_id].append(env)

    async def wait_for(self, predicate, timeout: float = 60.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not predicate():
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("condition not met in time")
            await asyncio.sleep(0.05)


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"
