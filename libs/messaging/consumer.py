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

Bad input (docs/security.md, "Bad input") never stalls a partition and always leaves a trace:
- a record that cannot be decoded is answered when its topic has an `answer` (a hospital's malformed
  claim gets a `ClaimRejected`), dead-lettered otherwise; so is a known type on a topic that does not
  carry it (`carried`);
- a message id seen before with other bytes is a conflict, dead-lettered with that reason (the inbox
  keeps a digest of each message's bytes); the same bytes again are a duplicate, skipped;
- a parked record's id is given back by the inbox, so the same bytes published again after a fix are
  processed (a replay), not skipped;
- when even isolating the failure fails (dead-lettering itself raised), the batch is run record by
  record in transactions of their own, and a record that still fails is quarantined: its position
  and reason are written, and the consumer moves on.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import asyncpg
import structlog

from libs.contracts.registry import PAYLOAD_TYPES, UndecodableMessage, decode
from libs.contracts.topics import DEAD_LETTER
from libs.messaging.ports import BatchHandler, Database, Handler, Transaction
from libs.messaging.records import DeadLetter, OutgoingMessage, Record, dead_letter_message, safe_text, value_digest
from libs.observability import hooks
from libs.retry import RetryPolicy, retry_transient

log = structlog.get_logger("consumer")

TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    ConnectionError, OSError, asyncio.TimeoutError,
    asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
    asyncpg.SerializationError, asyncpg.DeadlockDetectedError,
    asyncpg.TooManyConnectionsError, asyncpg.CannotConnectNowError,
    # the server ending the session: a restart's fast shutdown ("terminating connection due to administrator
    # command", what a transaction in flight gets), a crash of another backend, an idle session's timeout
    asyncpg.exceptions.AdminShutdownError, asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.IdleSessionTimeoutError,
)

BATCH_RETRY = RetryPolicy(attempts=12, first_delay=0.1, max_delay=5.0)
"""A batch's transient failures: a serialization conflict is tried again within tenths of a second; the
waits then double to 5 s, so a database restart (seconds to a minute: ~18 s of waiting on average, 36 s
at most, before the batch is given up and delivered again) is waited out at a line every few seconds a
consumer, rather than given up after a second and started over, 5–10 lines a second a process
(measured by tests/e2e/test_restarts.py). Well inside the broker's max.poll.interval (300 s)."""


@dataclass
class BatchStats:
    handled: int = 0
    ignored: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    answered: int = 0  # undecodable records answered to their sender (a ClaimRejected), not parked
    quarantined: int = 0
    attempts: int = 0


@dataclass
class _Item:
    record: Record
    message_id: str
    envelope: object | None = None
    problem: str | None = None
    answerable: bool = False  # the problem is the message's content: its sender can be told
    skipped: bool = False  # of no interest by its headers: not decoded, no inbox row
    digest: bytes = b""


Select = Callable[[Mapping[str, bytes]], bool]
"""A consumer's interest in a record by its headers (messages of this platform carry `event_type`)."""

Answer = Callable[[Record, str], OutgoingMessage | None]


class Sealer(Protocol):
    """Seals a parked record's bytes, and opens them for a replay."""

    def seal(self, value: bytes) -> bytes: ...

    def open(self, value: bytes) -> bytes: ...
"""The answer to an undecodable record's sender, given the record and the reason, when its routing
fields can be read (libs/messaging/answers.py); None: it is dead-lettered instead."""

BATCH, ISOLATING, ONE_BY_ONE = 0, 1, 2  # how carefully a batch is run after failures


@dataclass
class BatchProcessor:
    consumer: str
    database: Database
    handler: Handler
    accepted: frozenset[str]
    batch_handlers: dict[str, BatchHandler] = field(default_factory=dict)
    retry: RetryPolicy = BATCH_RETRY
    select: Select | None = None
    carried: frozenset[str] | None = None  # the types the topic carries; others are dead-lettered
    answer: Answer | None = None
    # Seals the bytes of a record parked from a topic that carries personal data (enrollment's commands):
    # its dead-letter row and the copy on the dead-letter topic hold the sealed value, never the clear one;
    # a replay opens it again (dead_letter_api.py).
    sealer: Sealer | None = None

    async def process(self, records: Sequence[Record]) -> BatchStats:
        items = [self._decode(r) for r in records]
        hooks.begin_batch(self.consumer, items)  # trace context of each message (libs/observability)
        mode = BATCH
        stats = BatchStats()

        async def attempt() -> BatchStats:
            stats.attempts += 1
            with hooks.transaction_timer(self.consumer):
                if mode == ONE_BY_ONE:
                    return await self._one_by_one(items, stats)
                return await self._run(items, mode == ISOLATING, stats)

        def retrying(attempt: int, exc: BaseException, wait: float) -> None:
            log.warning("batch_retry", consumer=self.consumer, attempt=stats.attempts, error=repr(exc), wait_s=wait)

        while True:
            try:  # transient failures: again after a jittered wait, within one budget of attempts for every mode
                return await retry_transient(attempt, self.retry.fewer(stats.attempts), TRANSIENT_ERRORS,
                                             on_retry=retrying)
            except TRANSIENT_ERRORS as exc:
                log.error("batch_gave_up", consumer=self.consumer, attempts=stats.attempts, error=repr(exc))
                raise
            except Exception as exc:
                if mode == ONE_BY_ONE:
                    raise
                # BATCH: find the message at fault, with a savepoint around each one. ISOLATING failed
                # too (parking raised): each record in a transaction of its own, quarantine the rest.
                log.warning("batch_isolating_failure", consumer=self.consumer, mode=mode, error=repr(exc))
                mode += 1

    def _decode(self, record: Record) -> _Item:
        # A record whose `event_type` header names a known type this consumer has no handler for, or
        # that its `select` turns down, is left undecoded and unrecorded: it can have no effect here.
        # Records without the header (a hospital's claim) or of a type no contract knows are decoded,
        # and dead-lettered with the reason if need be; so is a known type its topic does not carry.
        headers = dict(record.headers)
        event_type = headers.get("event_type", b"").decode(errors="replace")
        if (event_type in PAYLOAD_TYPES and (self.carried is None or event_type in self.carried)
                and (event_type not in self.accepted or (self.select is not None and not self.select(headers)))):
            return _Item(record, f"skip:{record.position}", skipped=True)
        digest = value_digest(record.value)
        try:
            envelope = decode(record.value)
        except UndecodableMessage as exc:
            return _Item(record, f"raw:{record.position}", problem=safe_text(exc.reason), answerable=True, digest=digest)
        except Exception as exc:  # a decoder bug must not stall the partition: the record is parked
            return _Item(record, f"raw:{record.position}", problem=f"could not be decoded: {type(exc).__name__}",
                         digest=digest)
        item = _Item(record, str(envelope.event_id), envelope=envelope, digest=digest)
        if self.carried is not None and envelope.event_type not in self.carried:
            item.problem = f"{envelope.event_type} does not travel on {safe_text(record.topic, 300)}"
        return item

    async def _run(self, items: list[_Item], careful: bool, stats: BatchStats) -> BatchStats:
        stats.handled = stats.ignored = stats.duplicates = stats.dead_lettered = stats.answered = 0
        async with self.database.transaction() as tx:
            first: dict[str, _Item] = {}  # each id's first record in the batch: it claims the id
            for item in items:
                if not item.skipped:
                    first.setdefault(item.message_id, item)
            new = await tx.claim_new(self.consumer, list(first), [i.digest for i in first.values()]) if first else set()
            known = await self._known_digests(tx, first, new)
            run: list[object] = []  # consecutive envelopes of one type that has a batch handler
            for item in items:
                if item.skipped:
                    stats.ignored += 1
                    continue
                if first[item.message_id] is not item or item.message_id not in new:
                    earlier = first[item.message_id].digest if item.message_id in new else known.get(item.message_id)
                    if earlier is None or earlier == item.digest:
                        stats.duplicates += 1
                    else:
                        self._park(tx, item, f"message id {safe_text(item.message_id, 200)} was received before with "
                                             "other content: a conflict, not a redelivery; send the change under a new id",
                                   release=False)
                        stats.dead_lettered += 1
                    continue
                if item.problem is not None:
                    answer = self.answer(item.record, item.problem) if self.answer and item.answerable else None
                    if answer is not None:
                        tx.publish(answer)
                        stats.answered += 1
                        log.warning("answered_undecodable", consumer=self.consumer, source=item.record.position,
                                    reason=item.problem)
                    else:
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

    async def _known_digests(self, tx: Transaction, first: dict[str, _Item], new: set[str]) -> dict[str, bytes | None]:
        """What the inbox holds for ids received in an earlier batch: asked only when there are some."""
        repeated = [m for m in first if m not in new and not m.startswith("raw:")]
        return await tx.digests(self.consumer, repeated) if repeated else {}

    async def _one_by_one(self, items: list[_Item], stats: BatchStats) -> BatchStats:
        """Each record in its own transaction; one that fails even so is quarantined, and the rest go on."""
        totals = BatchStats(attempts=stats.attempts)
        for item in items:
            one = BatchStats()
            try:
                await self._run([item], True, one)
            except TRANSIENT_ERRORS:
                raise
            except Exception as exc:
                reason = f"quarantined: parking failed: {type(exc).__name__}: {exc}"
                log.critical("quarantined", consumer=self.consumer, source=item.record.position, reason=safe_text(reason))
                await self.database.quarantine(self.consumer, item.record, reason)
                one.quarantined = 1
            for name in ("handled", "ignored", "duplicates", "dead_lettered", "answered", "quarantined"):
                setattr(totals, name, getattr(totals, name) + getattr(one, name))
        return totals

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

    def _park(self, tx: Transaction, item: _Item, reason: str, *, release: bool = True) -> None:
        reason = safe_text(reason)
        log.error("dead_lettered", consumer=self.consumer, source=item.record.position, reason=reason)
        record = item.record
        if self.sealer is not None and record.value is not None:
            record = dataclasses.replace(record, value=self.sealer.seal(record.value))
        message = dead_letter_message(self.consumer, record, reason, DEAD_LETTER.name, str(uuid.uuid4()))
        tx.park(DeadLetter(self.consumer, record, reason, message, item.message_id if release else None))
