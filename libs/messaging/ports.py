"""The ports the consumer runtime needs from a database, so it runs against Postgres or a fake."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from libs.contracts.envelope import Envelope
from libs.messaging.records import DeadLetter, OutgoingMessage, Record


class Transaction(Protocol):
    """One database transaction: the effect, the inbox rows and the outbox rows commit together.

    No connection is part of the port: a service's store reaches its database through the concrete
    transaction its bootstrap wires (e.g. `PgTransaction.conn`), so handlers depend on ports only."""

    async def claim_new(self, consumer: str, message_ids: list[str], digests: list[bytes] | None = None) -> set[str]:
        """Record the ids (with the digest of each message's bytes) in the inbox; return those not seen before."""

    async def digests(self, consumer: str, message_ids: list[str]) -> dict[str, bytes | None]:
        """The digests the inbox holds for these ids (asked only when a batch has repeats)."""

    def publish(self, message: OutgoingMessage) -> None:
        """Queue a message in the outbox (written before commit)."""

    def park(self, dead: DeadLetter) -> None:
        """Park a record: its `dead_letters` row, its copy on the dead-letter topic (once per source
        position, however often the batch is redelivered) and its inbox id given back."""

    def savepoint(self) -> AbstractAsyncContextManager[None]:
        """Undo only the enclosed work if it raises."""


class Database(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[Transaction]: ...

    async def quarantine(self, consumer: str, record: Record, reason: str) -> None:
        """The last resort, in a transaction of its own: the record's position and reason only."""


Handler = Callable[[Transaction, Envelope[Any]], Awaitable[None]]

BatchHandler = Callable[[Transaction, Sequence[Envelope[Any]]], Awaitable[None]]
"""Handles a run of consecutive messages of one type, in order, with the effect of handling them one
by one (a later message sees what an earlier one did) but with set-based reads and writes. It is an
optimisation only: the per-message handler of the same type stays the reference, and the runtime
uses it whenever it isolates a failing message."""
