"""Kafka on FastStream + aiokafka: the broker, batch subscribers wired to the runtime, the producer."""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from aiokafka import AIOKafkaProducer
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from libs.contracts.topics import Topic
from libs.messaging.consumer import BatchProcessor
from libs.messaging.records import Record

log = structlog.get_logger("kafka")


def make_broker(bootstrap: str, client_id: str) -> KafkaBroker:
    # Publishing goes through the outbox relay's own producer; the broker consumes.
    return KafkaBroker(bootstrap, client_id=client_id, graceful_timeout=30.0, logger=log)


def to_records(raw: Any) -> list[Record]:
    batch = raw if isinstance(raw, tuple) else (raw,)
    return [
        Record(r.topic, r.partition, r.offset, r.key, r.value, tuple(r.headers or ()))
        for r in batch
    ]


async def _raw_bytes(msg: Any) -> Any:
    # Decoding is the runtime's job (so a malformed message reaches the dead-letter topic).
    return msg.body


def subscribe(
    broker: KafkaBroker, topic: Topic, processor: BatchProcessor, *,
    group_id: str, topic_prefix: str = "", max_records: int = 500, batch_timeout_ms: int = 20, description: str = "",
) -> None:
    """A batch subscriber: the processor's transaction first, the offsets after (NACK_ON_ERROR)."""

    @broker.subscriber(
        topic_prefix + topic.name, group_id=topic_prefix + group_id, batch=True, max_records=max_records,
        batch_timeout_ms=batch_timeout_ms, auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR, title=f"{processor.consumer}:{topic.name}",
        description=description or topic.description, decoder=_raw_bytes,
    )
    async def _consume(msg: KafkaMessage) -> None:
        stats = await processor.process(to_records(msg.raw_message))
        if stats.dead_lettered or stats.duplicates:
            log.info("batch_done", consumer=processor.consumer, handled=stats.handled,
                     duplicates=stats.duplicates, dead_lettered=stats.dead_lettered)


class KafkaSender:
    """The idempotent producer (acks=all) used by the outbox relay."""

    def __init__(self, bootstrap: str, client_id: str, topic_prefix: str = "") -> None:
        self._prefix = topic_prefix  # the outbox keeps logical topic names
        self._config = {"bootstrap_servers": bootstrap, "client_id": client_id}
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(
            **self._config, acks="all", enable_idempotence=True, linger_ms=5, max_batch_size=262144,
        )
        await self._producer.start()

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()

    async def send_batch(self, rows: list[tuple[str, str, bytes, list[tuple[str, bytes]]]]) -> None:
        assert self._producer is not None, "sender used before start()"
        futures = [
            await self._producer.send(self._prefix + topic, value=value, key=key.encode(), headers=headers or None)
            for topic, key, value, headers in rows
        ]
        await asyncio.gather(*futures)
