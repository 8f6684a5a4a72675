"""The ceilings of the parts, measured on the same machine in the same run.

* Kafka: raw aiokafka, one producer and one consumer in this process, the same number of messages of
  the same size as the end-to-end phase sent, producer configured like the services' outbox relay.
  Messages a second from the first send to the last receipt: one hop of what a claim makes five of.
* PostgreSQL: committed single-row INSERT transactions a second through asyncpg, from one connection
  and from as many concurrent connections as a service's pool has.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from libs.messaging.acl import ADMIN
from libs.messaging.connection import client_options, credentials_of


async def kafka_produce_consume(bootstrap: str, topic_prefix: str, messages: int, size: int,
                                partitions: int = 6) -> dict[str, float]:
    topic = f"{topic_prefix}bench.raw.{uuid.uuid4().hex[:6]}"
    kafka = client_options(credentials_of(ADMIN))  # a topic of its own: admin tooling
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **kafka)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, partitions, 1)])
        payload = os.urandom(max(1, size // 2)).hex().encode()[:size]
        keys = [f"P{n:07d}".encode() for n in range(1000)]
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True,
                                    linger_ms=5, max_batch_size=262144, **kafka)
        consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"bench-raw-{uuid.uuid4().hex[:6]}",
                                    auto_offset_reset="earliest", enable_auto_commit=False, **kafka)
        await producer.start()
        await consumer.start()
        try:
            while not consumer.assignment():
                await asyncio.sleep(0.05)
                await consumer.getmany(timeout_ms=50)
            received = 0

            async def consume() -> float:
                nonlocal received
                while received < messages:
                    for records in (await consumer.getmany(timeout_ms=200, max_records=5000)).values():
                        received += len(records)
                return time.perf_counter()

            reader = asyncio.create_task(consume())
            started = time.perf_counter()
            deliveries = [await producer.send(topic, payload, key=keys[n % len(keys)]) for n in range(messages)]
            await asyncio.gather(*deliveries)
            produced = time.perf_counter()
            finished = await asyncio.wait_for(reader, timeout=120)
        finally:
            await consumer.stop()
            await producer.stop()
        await admin.delete_topics([topic])
    finally:
        await admin.close()
    return {"messages": messages, "message_bytes": size, "seconds": round(finished - started, 2),
            "messages_per_second": round(messages / (finished - started), 1),
            "produce_only_per_second": round(messages / (produced - started), 1)}


async def postgres_transactions(dsn: str, seconds: float, connections: int) -> dict[str, float]:
    setup = await asyncpg.connect(dsn)
    table = f"bench_tx_{uuid.uuid4().hex[:6]}"
    await setup.execute(f"CREATE TABLE {table} (id bigserial PRIMARY KEY, payload text NOT NULL)")
    try:
        conns = [await asyncpg.connect(dsn) for _ in range(connections)]
        counts = [0] * connections
        deadline = time.perf_counter() + seconds

        async def commit_rows(n: int) -> None:
            insert = f"INSERT INTO {table} (payload) VALUES ($1)"
            while time.perf_counter() < deadline:
                await conns[n].execute(insert, "x" * 64)  # one statement: its own committed transaction
                counts[n] += 1

        started = time.perf_counter()
        await asyncio.gather(*(commit_rows(n) for n in range(connections)))
        elapsed = time.perf_counter() - started
        for conn in conns:
            await conn.close()
    finally:
        await setup.execute(f"DROP TABLE {table}")
        await setup.close()
    return {"connections": connections, "seconds": round(elapsed, 2),
            "transactions_per_second": round(sum(counts) / elapsed, 1)}
