"""Consumer lag of every consumer group of a namespace: messages on the topic not yet committed."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from libs.messaging.connection import client_options, credentials_of


async def consumer_lag(bootstrap: str, topic_prefix: str) -> dict[str, int]:
    kafka = client_options(credentials_of("console"))  # describes every group and topic, reads nothing
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **kafka)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, **kafka)
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


async def wait_until_caught_up(bootstrap: str, topic_prefix: str, timeout: float, *, need: tuple[str, ...] = ()) -> bool:
    """Poll until every consumer group of the namespace has no lag (twice in a row), and the groups
    whose names start with one of `need` exist; False if that did not happen within `timeout`."""
    deadline, calm = asyncio.get_running_loop().time() + timeout, 0
    while calm < 2:
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.5)
        lag = await consumer_lag(bootstrap, topic_prefix)
        ready = sum(lag.values()) == 0 and all(any(g.startswith(n) for g in lag) for n in need)
        calm = calm + 1 if ready else 0
    return True
