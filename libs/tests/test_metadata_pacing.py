"""Every Kafka client's metadata rounds start at least `retry_backoff_ms` apart (libs/messaging/connection.py).

On the real broker: tests/kafka/test_broker_outage.py (a consumer whose partitions have no leader while
the broker is away took a full core before the pacing).
"""

from __future__ import annotations

import asyncio
from itertools import pairwise
from typing import Any

import pytest
from aiokafka.client import AIOKafkaClient

from libs.messaging.connection import pace_metadata_rounds


class FailingClient:
    """aiokafka's client as far as the pacing sees it: every round fails at once (the broker refuses)."""

    def __init__(self, retry_backoff_s: float) -> None:
        self._retry_backoff = retry_backoff_s
        self.started: list[float] = []

    async def _metadata_update(self, cluster_metadata: Any, topics: Any) -> bool:
        self.started.append(asyncio.get_running_loop().time())
        return False


def paced_client(retry_backoff_s: float) -> FailingClient:
    class Client(FailingClient):
        pass
    pace_metadata_rounds(Client)
    return Client(retry_backoff_s)


def test_every_client_of_the_platform_is_paced() -> None:
    assert getattr(AIOKafkaClient._metadata_update, "paced", False)


async def test_rounds_asked_for_one_after_another_start_a_backoff_apart() -> None:
    client = paced_client(0.05)
    for _ in range(4):
        assert await client._metadata_update(None, set()) is False
    gaps = [b - a for a, b in pairwise(client.started)]
    assert min(gaps) >= 0.049, gaps


async def test_the_first_round_and_one_after_a_quiet_backoff_are_not_delayed() -> None:
    client = paced_client(0.05)
    loop = asyncio.get_running_loop()
    asked = loop.time()
    await client._metadata_update(None, set())
    assert client.started[0] - asked < 0.01
    await asyncio.sleep(0.06)
    asked = loop.time()
    await client._metadata_update(None, set())
    assert client.started[1] - asked < 0.01


def test_pacing_twice_wraps_once() -> None:
    class Client(FailingClient):
        pass
    pace_metadata_rounds(Client)
    once = Client._metadata_update
    pace_metadata_rounds(Client)
    assert Client._metadata_update is once


def test_a_changed_aiokafka_is_refused_rather_than_left_unpaced() -> None:
    class Changed:
        async def _metadata_update(self, cluster_metadata: Any, topics: Any, force: bool) -> bool:
            return False
    with pytest.raises(RuntimeError, match="changed"):
        pace_metadata_rounds(Changed)
