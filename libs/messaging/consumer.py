"""The consumer runtime: at-least-once in, effectively-once out.

A batch of records is handled in ONE database transaction that records each message id in the inbox
together with the handler's effects and outgoing messages; the caller commits the Kafka offsets only
after this returns. Redelivered ids are skipped. A record that cannot be decoded, or whose handler
fails for a reason retrying cannot fix, is parked in the dead-letter topic (through the same outbox,
so exactly once) and the batch goes on. Transient failures (the database went away, a serialization
conflict) retry the whole batch with backoff, a bounded number of times, then raise so the offsets
stay uncommitted and the batch is delivered again.

A type with a batch handler has each run of its consecutive messages handled in one call, with
set-based statements; other messages keep their place in the order between runs. When a batch fails
for a reason that is not transient, the runtime runs it again message by message, each in a
savepoint, with the per-message handlers: they are the reference the batch handlers must agree with.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import asyncpg
import structlog

from libs.contracts.registry import PAYLOAD_TYPES, UndecodableMessage, decode
from libs.contracts.topics import DEAD_LETTER
from libs.messaging.ports import BatchHandler, Database, Handler, Transaction
from libs.messaging.records import Record, dead_letter_message
from libs.retry import RetryPolicy, retry_transient

log = structlog.get_logger("consumer")

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionError, OSError, asyncio.TimeoutError,
    asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
    asyncpg.SerializationError, asyncpg.DeadlockDetectedError,
    asyncpg.TooManyConnectionsError, asyncpg.CannotConnectNowError,
)


@dataclass
class BatchStats:
    handled: int = 0
    ignored: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    attempts: int = 0


@dataclass
class _Item:
    record: Record
    message_id: str
    envelope: object | None = None
    problem: str | None = None
    skipped: bool = False  # of no interest by its headers: not decoded, no inbox row


Select = Callable[[Mapping[str, bytes]], bool]
"""A consumer's interest in a record by its headers (messages of this platform carry `event_type`)."""


@dataclass
class BatchProcessor:
    consumer: str
    database: Database
    handler: Handler
    accepted: frozenset[str]
    batch_handlers: dict[str, BatchHandler] = field(default_factory=dict)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    select: Select | None = None

    async def process(self, records: Sequence[Record]) -> BatchStats:
        items = [self._decode(r) for r in records]
        careful = False
        stats = BatchStats()

        async def attempt() -> BatchStats:
            stats.attempts += 1
            return await self._run(items, careful, stats)

        def retrying(attempt: int, exc: BaseException, wait: float) -> None:
            log.warning("batch_retry", consumer=self.consumer, attempt=stats.attempts, error=repr(exc), wait_s=wait)

        while True:
            try:  # transient failures: again after a jittered wait, within one budget of attempts for both modes
                return await retry_transient(attempt, self.retry.fewer(stats.attempts), TRANSIENT_ERRORS,
                                             on_retry=retrying)
            except TRANSIENT_ERRORS as exc:
                log.error("batch_gave_up", consumer=self.consumer, attempts=stats.attempts, error=repr(exc))
                raise
            except Exception as exc:
                if careful:
                    raise
                # Find the message at fault: run again with a savepoint around each one.
                log.warning("batch_isolating_failure", consumer=self.consumer, error=repr(exc))
                careful = True

    def _decode(self, record: Record) -> _Item:
        # A record whose `event_type` header names a known type this consumer has no handler for, or
        # that its `select` turns down, is left undecoded and unrecorded: it can have no effect here.
        # Records without the header (a hospital's claim) or of a type no contract knows are decoded,
        # and dead-lettered with the reason if need be.
        headers = dict(record.headers)
        event_type = headers.get("event_type", b"").decode(errors="replace")
        if event_type in PAYLOAD_TYPES and (event_type not in self.accepted
                                            or (self.select is not None and not self.select(headers))):
            return _Item(record, f"skip:{record.position}", skipped=True)
        try:
            envelope = decode(record.value)
        except UndecodableMessage as exc:
            return _Item(record, f"raw:{record.position}", problem=exc.reason)
        return _Item(record, str(envelope.event_id), envelope=envelope)

    async def _run(self, items: list[_Item], careful: bool, stats: BatchStats) -> BatchStats:
        stats.handled = stats.ignored = stats.duplicates = stats.dead_lettered = 0
        async with self.database.transaction() as tx:
            unique = list(dict.fromkeys(i.message_id for i in items if not i.skipped))
            new = await tx.claim_new(self.consumer, unique) if unique else set()
            run: list[object] = []  # consecutive envelopes of one type that has a batch handler
            for item in items:
                if item.skipped:
                    stats.ignored += 1
                    continue
                if item.message_id not in new:
                    stats.duplicates += 1
                    continue
                new.discard(item.message_id)
                if item.problem is not None:
                    self._park(tx, item, item.problem)
                    stats.dead_lettered += 1
                elif item.envelope.event_type not in self.accepted:  # type: ignore[attr-defined]
                    stats.ignored += 1  # a known event this consumer has no use for
                elif careful:
                    stats.dead_lettered += await self._handle_isolated(tx, item)
                else:
                    event_type = item.envelope.event_type  # type: ignore[attr-defined]
                    if run and run[0].event_type != event_type:  # type: ignore[attr-defined]
                        await self._handle_run(tx, run)
                        run = []
                    if event_type in self.batch_handlers:
                        run.append(item.envelope)
                    else:
                        await self._handle(tx, item)
                stats.handled += 1
            if run:
                await self._handle_run(tx, run)
        return stats

    async def _handle_run(self, tx: Transaction, run: list[object]) -> None:
        await self.batch_handlers[run[0].event_type](tx, run)  # type: ignore[attr-defined,arg-type]

    async def _handle(self, tx: Transaction, item: _Item) -> None:
        env = item.envelope
        # bind/reset rather than `bound_contextvars`, which copies every bound variable per message
        tokens = structlog.contextvars.bind_contextvars(
            event_id=str(env.event_id), correlation_id=env.correlation_id, event_type=env.event_type,  # type: ignore[attr-defined]
        )
        try:
            await self.handler(tx, env)  # type: ignore[arg-type]
        finally:
            structlog.contextvars.reset_contextvars(**tokens)

    async def _handle_isolated(self, tx: Transaction, item: _Item) -> int:
        try:
            async with tx.savepoint():
                await self._handle(tx, item)
        except TRANSIENT_ERRORS:
            raise
        except Exception as exc:
            self._park(tx, item, f"handler failed: {type(exc).__name__}: {exc}")
            return 1
        return 0

    def _park(self, tx: Transaction, item: _Item, reason: str) -> None:
        log.error("dead_lettered", consumer=self.consumer, source=item.record.position, reason=reason)
        tx.publish(dead_letter_message(self.consumer, item.record, reason, DEAD_LETTER.name, str(uuid.uuid4())))
        tx.record_dead_letter(self.consumer, item.record, reason)
