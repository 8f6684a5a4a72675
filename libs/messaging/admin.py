"""Create every topic of the platform with its partition count (auto-create is off on the broker).

    python -m libs.messaging.admin            # create what is missing, print what exists
"""

from __future__ import annotations

import asyncio
import sys

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from libs.contracts.topics import ALL_TOPICS
from libs.settings import StackSettings


async def ensure_topics(bootstrap: str, prefix: str = "") -> list[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="topic-admin")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in ALL_TOPICS if prefix + t.name not in existing]
        if missing:
            await admin.create_topics([NewTopic(prefix + t.name, t.partitions, 1) for t in missing])
        return [prefix + t.name for t in missing]
    finally:
        await admin.close()


async def delete_topics(bootstrap: str, prefix: str) -> None:
    """Remove a namespace's topics (test runs clean up after themselves)."""
    if not prefix:
        raise ValueError("refusing to delete the platform's own topics")
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="topic-admin")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        doomed = [prefix + t.name for t in ALL_TOPICS if prefix + t.name in existing]
        if doomed:
            await admin.delete_topics(doomed)
    finally:
        await admin.close()


def main() -> None:
    settings = StackSettings()
    bootstrap = settings.kafka_bootstrap
    created = asyncio.run(ensure_topics(bootstrap, settings.topic_prefix))
    print(f"topics on {bootstrap}: created {created or 'none'}; all {[t.name for t in ALL_TOPICS]}", file=sys.stderr)


if __name__ == "__main__":
    main()
