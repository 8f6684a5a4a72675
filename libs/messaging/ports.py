"""The ports the consumer runtime needs from a database, so it runs against Postgres or a fake."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from libs.contracts.envelope import Envelope
from libs.messaging.records import OutgoingMessage, Record


class Transaction(Protocol):
    """One database transaction: the effect, the inbox rows and the outbox rows commit together.

    No connection is part of the port: a service's store reaches its database through the concrete
    transaction its bootstrap wires (e.g. `PgTransaction.conn`), so handlers depend on ports only."""

    async def claim_new(self, consumer: str, message_ids: list[str]) -> set[str]:
        """Record the ids in the inbox; return those not seen before."""

    def publish(self, message: OutgoingMessage) -> None:
        """Queue a message in the outbox (written before commit)."""

    def record_dead_letter(self, consumer: str, record: Record, reason: str) -> None:
        """Remember that a record was parked (the DLQ message itself goes through `publish`)."""

    def savepoint(self) -> AbstractAsyncContextManager[None]:
        """Undo only the enclosed work if it raises."""


class Database(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[Transaction]: ...


Handler = Callable[[Transaction, Envelope[Any]], Awaitable[None]]

BatchHandler = Callable[[Transaction, Sequence[Envelope[Any]]], Awaitable[None]]
"""Handles a run of consecutive messages of one type, in order, with the effect of handling them one
by one (a later message sees what an earlier one did) but with set-based reads and writes. It is an
optimisation only: the per-message handler of the same type stays the reference, and the runtime
uses it whenever it isolates a failing message."""
