"""Kafka on FastStream + aiokafka: the broker, batch subscribers wired to the runtime, the producer."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import structlog
from aiokafka import AIOKafkaProducer
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.security import SASLScram512

from libs.contracts.topics import Topic
from libs.messaging.connection import BACKOFF, client_options, ssl_context
from libs.messaging.consumer import BatchProcessor
from libs.messaging.records import Record
from libs.observability import hooks
from libs.settings import KafkaCredentials

log = structlog.get_logger("kafka")

def make_broker(bootstrap: str, client_id: str, credentials: KafkaCredentials) -> KafkaBroker:
    # Publishing goes through the outbox relay's own producer; the broker consumes.
    # Measured per batch at moderate load (docs/performance.md): FastStream's access log wrote two JSON
    # lines ("Received", "Processed") per batch, now DEBUG; and dependency injection resolved the
    # message argument in a worker thread, now off: handlers take the batch of records directly.
    tls = credentials.security_protocol == "SASL_SSL"
    security = SASLScram512(credentials.username, credentials.password, use_ssl=tls,
                            ssl_context=ssl_context(credentials) if tls else None)
    backoff: dict[str, Any] = BACKOFF  # aiokafka's options, which KafkaBroker takes as **kwargs
    return KafkaBroker(bootstrap, client_id=client_id, graceful_timeout=30.0, logger=log,
                       log_level=logging.DEBUG, apply_types=False, security=security,
                       allow_auto_create_topics=False, **backoff)


def to_records(raw: Any) -> list[Record]:
    batch = raw if isinstance(raw, tuple) else (raw,)
    return [
        Record(r.topic, r.partition, r.offset, r.key, r.value, tuple(r.headers or ()))
        for r in batch
    ]


async def _raw_records(msg: Any) -> Any:
    # Decoding is the runtime's job (so a malformed message reaches the dead-letter topic).
    return msg.raw_message


def subscribe(
    broker: KafkaBroker, topic: Topic, processor: BatchProcessor, *,
    group_id: str, topic_prefix: str = "", max_records: int = 500, batch_timeout_ms: int = 20, linger_ms: int = 0,
    description: str = "",
) -> None:
    """A batch subscriber: the processor's transaction first, the offsets after (NACK_ON_ERROR)."""

    subscriber = broker.subscriber(
        topic_prefix + topic.name, group_id=topic_prefix + group_id, batch=True, max_records=max_records,
        batch_timeout_ms=batch_timeout_ms, auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR, title=f"{processor.consumer}:{topic.name}",
        description=description or topic.description, decoder=_raw_records,
    )
    _without_idle_sleep(subscriber, linger_ms)

    @subscriber
    async def _consume(raw: Any) -> None:
        started, records = time.perf_counter(), to_records(raw)
        try:
            stats = await processor.process(records)
        except BaseException:
            hooks.batch_failed(processor.consumer, len(records))
            raise
        hooks.batch_done(processor.consumer, len(records), started, stats)
        if stats.dead_lettered or stats.duplicates:
            log.info("batch_done", consumer=processor.consumer, handled=stats.handled,
                     duplicates=stats.duplicates, dead_lettered=stats.dead_lettered)


IDLE_WAIT_MS = 250  # how long one poll waits for records when there are none (it returns as soon as any come)


def _without_idle_sleep(subscriber: Any, linger_ms: int = 0) -> None:
    """Fetch the next batch as soon as records arrive (then, with `linger_ms`, gather for that long).

    FastStream's batch subscriber polls for `batch_timeout_ms` and, when nothing came, sleeps as long
    again before polling: a record arriving during that sleep waits for it, on every hop of a claim.
    aiokafka's `getmany` already returns the moment records are there, so this loop polls with a
    longer wait and never sleeps. Checked against FastStream's `get_msg(consumer)` contract, the one
    method replaced.

    A batch costs a service 2–3 ms of CPU whatever it holds (its transaction's statements, the relay
    round, the offset commit), so a consumer off the hospital's path (a follower of the outcomes)
    gathers for `linger_ms` first: its lag grows by that much, its cost per claim falls several-fold.
    """
    if not callable(getattr(subscriber, "get_msg", None)):
        raise RuntimeError("FastStream's batch subscriber changed: it has no get_msg(consumer) to replace")
    max_records = subscriber.max_records or 500

    async def get_msg(consumer: Any) -> tuple[Any, ...]:
        batches = await consumer.getmany(timeout_ms=IDLE_WAIT_MS, max_records=max_records)
        records = [record for part in batches.values() for record in part]
        if records and linger_ms:
            loop = asyncio.get_running_loop()
            until = loop.time() + linger_ms / 1000
            while len(records) < max_records and (left := until - loop.time()) > 0:
                more = await consumer.getmany(timeout_ms=max(1, int(left * 1000)), max_records=max_records - len(records))
                records.extend(record for part in more.values() for record in part)
        return tuple(records)

    subscriber.get_msg = get_msg


class KafkaSender:
    """The idempotent producer (acks=all) used by the outbox relay."""

    def __init__(self, bootstrap: str, client_id: str, credentials: KafkaCredentials, topic_prefix: str = "") -> None:
        self._prefix = topic_prefix  # the outbox keeps logical topic names
        self._config = {"bootstrap_servers": bootstrap, "client_id": client_id, **client_options(credentials)}
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(
            # linger 0: the relay hands over a whole batch at once, so waiting adds latency and no batching
            **self._config, acks="all", enable_idempotence=True, linger_ms=0, max_batch_size=262144,
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

