"""Consumer lag of every consumer group of a namespace: messages on the topic not yet committed."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient


async def consumer_lag(bootstrap: str, topic_prefix: str) -> dict[str, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        groups = sorted(g[0] if isinstance(g, tuple) else g.group_id for g in await admin.list_consumer_groups())
        lag: dict[str, int] = {}
        for group in (g for g in groups if g.startswith(topic_prefix)):
            committed = await admin.list_consumer_group_offsets(group)
            if not committed:
                continue
            ends = await consumer.end_offsets(list(committed))
            lag[group.removeprefix(topic_prefix)] = sum(
                max(0, ends[tp] - (meta.offset if meta.offset >= 0 else 0)) for tp, meta in committed.items())
        return lag
    finally:
        await consumer.stop()
        await admin.close()
