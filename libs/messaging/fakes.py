"""An in-memory Database for unit tests of the consumer runtime and of handlers."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from libs.messaging.records import DeadLetter, OutgoingMessage, Record


class FakeTransaction:
    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state
        self.conn = state  # handlers under test keep their rows in here

    async def claim_new(self, consumer: str, message_ids: list[str], digests: list[bytes] | None = None) -> set[str]:
        seen = self.state.setdefault("inbox", {})
        new = {m for m in message_ids if (consumer, m) not in seen}
        for m, digest in zip(message_ids, digests or [None] * len(message_ids)):
            if m in new:
                seen[(consumer, m)] = digest
        return new

    async def digests(self, consumer: str, message_ids: list[str]) -> dict[str, bytes | None]:
        seen = self.state.get("inbox", {})
        return {m: seen[(consumer, m)] for m in message_ids if (consumer, m) in seen}

    def publish(self, message: OutgoingMessage) -> None:
        self.state.setdefault("outbox", []).append(message)

    def park(self, dead: DeadLetter) -> None:
        parked = self.state.setdefault("dead_letters", [])
        if not any(c == dead.consumer and position == dead.record.position for c, position, _ in parked):
            parked.append((dead.consumer, dead.record.position, dead.reason))
            self.publish(dead.message)
        if dead.message_id is not None:
            self.state.get("inbox", {}).pop((dead.consumer, dead.message_id), None)

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        saved = copy.deepcopy(self.state)
        try:
            yield
        except BaseException:
            self.state.clear()
            self.state.update(saved)
            raise


class FakeDatabase:
    """Commits a transaction's changes only when its block ends without an exception."""

    def __init__(self) -> None:
        self.state: dict[str, Any] = {}
        self.commits = 0
        self.failures_to_inject: list[BaseException] = []

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[FakeTransaction]:
        if self.failures_to_inject:
            raise self.failures_to_inject.pop(0)
        working = copy.deepcopy(self.state)
        yield FakeTransaction(working)
        self.state = working
        self.commits += 1

    async def quarantine(self, consumer: str, record: Record, reason: str) -> None:
        self.state.setdefault("quarantined", []).append((consumer, record.position, reason))

    @property
    def outbox(self) -> list[OutgoingMessage]:
        return self.state.get("outbox", [])
