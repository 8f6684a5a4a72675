"""A HIS's way into the platform: pre-settle, settle and cancel claims, and await their outcomes.

    async with HospitalClient("127.0.0.1:19092", "H43010000001") as his:
        outcome = await his.settle(claim, timeout=10)      # ClaimSettled or ClaimRejected

Requests go to `claims.submitted` keyed by the patient's `psn_no` (so one person's claims are handled
in order). Replies come back on `claims.outcomes` keyed by the institution's `fixmedins_code`, so all
replies for one institution land in ONE partition: the client reads only the partitions of the
institutions it serves (assigned, no consumer group, so thousands of hospitals cause no group
rebalances), starting at the end when it opens, and skips records of other institutions by their key
before parsing anything. A HIS front-end (前置机) serving many hospitals passes all their codes and
uses one connection. docs/hospital-integration.md explains the choice and how it scales.

Idempotency is the hospital's own `claim_id`: the platform settles a claim id once, so a retry after
a timeout never pays twice; the client joins the retry to the request in flight and returns the
earlier reply if it arrives late.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError
from aiokafka.partitioner import DefaultPartitioner

from libs.contracts.claims import ClaimCancelRequested, ClaimSubmitted
from libs.contracts.envelope import new_envelope
from libs.contracts.registry import encode
from libs.contracts.topics import CLAIMS_OUTCOMES, CLAIMS_SUBMITTED
from libs.hospital.outcomes import FINAL, Outcome, OutcomeRouter, OutcomeTimeout, Pending, SendFailed, parse_outcome
from libs.messaging.connection import client_options, default_credentials
from libs.retry import READER, retry_transient
from libs.settings import KafkaCredentials

log = structlog.get_logger("hospital")

__all__ = ["HospitalClient", "Outcome", "OutcomeTimeout", "Pending", "Prepared", "SendFailed"]

Request = ClaimSubmitted | ClaimCancelRequested


@dataclass(frozen=True)
class Prepared:
    """A request already wrapped and encoded (so a high-volume sender pays for it ahead of time)."""

    claim_id: str
    operation: str
    fixmedins_code: str
    key: bytes
    event_id: str
    value: bytes


def operation_of(request: Request) -> str:
    return "cancel" if isinstance(request, ClaimCancelRequested) else request.action


class HospitalClient:
    def __init__(self, bootstrap: str, fixmedins_codes: str | Iterable[str], topic_prefix: str = "", *,
                 linger_ms: int = 0, remember: int = 50_000, credentials: KafkaCredentials | None = None) -> None:
        codes = [fixmedins_codes] if isinstance(fixmedins_codes, str) else list(fixmedins_codes)
        if not codes:
            raise ValueError("a client serves at least one institution (fixmedins_code)")
        self.served = frozenset(codes)
        self._keys = frozenset(c.encode() for c in codes)
        self._bootstrap, self._prefix, self._linger_ms = bootstrap, topic_prefix, linger_ms
        # Hospitals hold no broker credentials: a client on Kafka is the gateway's (libs/messaging/acl.py).
        self._kafka = client_options(credentials or default_credentials("gateway"))
        self._router = OutcomeRouter(remember)
        self._producer: AIOKafkaProducer | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._reader: Any = None
        self.partitions: list[int] = []

    # -- lifecycle -------------------------------------------------------------------------------

    async def __aenter__(self) -> HospitalClient:
        self._producer = AIOKafkaProducer(bootstrap_servers=self._bootstrap, acks="all", enable_idempotence=True,
                                          linger_ms=self._linger_ms, **self._kafka)
        await self._producer.start()
        self._consumer = AIOKafkaConsumer(bootstrap_servers=self._bootstrap, enable_auto_commit=False,
                                          fetch_max_wait_ms=50, **self._kafka)
        await self._consumer.start()
        mine = [TopicPartition(self._outcomes_topic, p) for p in await self._partitions_of(self.served)]
        self.partitions = sorted(tp.partition for tp in mine)
        self._consumer.assign(mine)
        await self._consumer.seek_to_end(*mine)
        for tp in mine:  # resolve the end offsets now, before any request can be answered
            await self._consumer.position(tp)
        self._reader = asyncio.create_task(self._read(), name="hospital-outcomes")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        if self._consumer is not None:
            await self._consumer.stop()
        if self._producer is not None:
            await self._producer.stop()

    @property
    def _outcomes_topic(self) -> str:
        return self._prefix + CLAIMS_OUTCOMES.name

    async def _partitions_of(self, codes: Iterable[str]) -> set[int]:
        assert self._consumer is not None
        topic = self._outcomes_topic
        available = self._consumer.partitions_for_topic(topic)
        if not available:
            await self._consumer._client.force_metadata_update()  # first use: no metadata yet
            available = self._consumer.partitions_for_topic(topic)
        if not available:
            raise RuntimeError(f"topic {topic} does not exist; create the platform's topics first (make up)")
        every = sorted(available)
        return {DefaultPartitioner()(code.encode(), every, every) for code in codes}

    async def _read(self) -> None:
        # The broker went away: read again after jittered, growing waits (the outcome waits time out meanwhile).
        await retry_transient(self._read_batches, READER, (KafkaError,), on_retry=lambda attempt, exc, wait: log.warning(
            "hospital_client_read_failed", error=repr(exc), attempt=attempt, wait_s=round(wait, 2)))

    async def _read_batches(self) -> None:
        assert self._consumer is not None
        while True:
            batches = await self._consumer.getmany(timeout_ms=500, max_records=2000)
            now = time.perf_counter()
            for records in batches.values():
                for record in records:
                    if record.key in self._keys:  # another institution's reply in the same partition
                        self._router.deliver(record.value, now)

    # -- requests --------------------------------------------------------------------------------

    def prepare(self, request: Request) -> Prepared:
        if request.fixmedins_code not in self.served:
            raise ValueError(f"this client serves {sorted(self.served)}, not {request.fixmedins_code}; "
                             "its replies would go to a partition it does not read")
        env = new_envelope(request, producer=request.fixmedins_code, correlation_id=request.claim_id)
        return Prepared(request.claim_id, operation_of(request), request.fixmedins_code, request.psn_no.encode(),
                        str(env.event_id), encode(env))

    async def send(self, request: Request | Prepared) -> Pending:
        """Hand the request to Kafka and return at once; `await pending.outcome(timeout)` for the reply."""
        assert self._producer is not None, "use `async with HospitalClient(...)`"
        p = request if isinstance(request, Prepared) else self.prepare(request)
        pending = self._router.expect(p.claim_id, p.operation, p.event_id)
        try:
            delivery = await self._producer.send(self._prefix + CLAIMS_SUBMITTED.name, p.value, key=p.key)
        except Exception as exc:
            pending.fail(exc)
            raise SendFailed(f"{p.operation} of claim {p.claim_id} was not sent: {exc!r}") from exc

        def undelivered(f: asyncio.Future[Any]) -> None:
            if not f.cancelled() and (error := f.exception()) is not None:
                pending.fail(error)

        delivery.add_done_callback(undelivered)
        return pending

    async def presettle(self, claim: ClaimSubmitted, timeout: float = 30.0) -> Outcome:
        """2206 / 2303: the split as it would be, nothing posted. Replies ClaimPreSettled or ClaimRejected."""
        return await self._call(_with_action(claim, "presettle"), timeout, None)

    async def settle(self, claim: ClaimSubmitted, timeout: float = 30.0, *, since: datetime | None = None) -> Outcome:
        """2207 / 2304: settle once per claim id. Replies ClaimSettled or ClaimRejected.

        `since`: when retrying a claim first sent before this client started (the HIS restarted), the
        time of the first attempt; if no reply comes, the client looks for the earlier one from then on.
        """
        return await self._call(_with_action(claim, "settle"), timeout, since)

    async def cancel(self, request: ClaimCancelRequested, timeout: float = 30.0) -> Outcome:
        """2208 / 2305: cancel a settled claim. Replies ClaimCancelled or ClaimRejected."""
        return await self._call(request, timeout, None)

    async def submit(self, claim: ClaimSubmitted, timeout: float = 30.0) -> Outcome:
        """Settle or pre-settle as `claim.action` says."""
        return await self._call(claim, timeout, None)

    async def _call(self, request: Request, timeout: float, since: datetime | None) -> Outcome:
        pending = await self.send(request)
        try:
            return await pending.outcome(timeout)
        except OutcomeTimeout:
            if since is None:
                raise
            found = await self.find_outcome(request.fixmedins_code, request.claim_id, operation_of(request), since)
            if found is None:
                raise
            return found

    async def find_outcome(self, fixmedins_code: str, claim_id: str, operation: str, since: datetime,
                           timeout: float = 30.0) -> Outcome | None:
        """Look back through the institution's partition, from `since` to now, for a claim's final reply."""
        consumer = AIOKafkaConsumer(bootstrap_servers=self._bootstrap, enable_auto_commit=False, **self._kafka)
        await consumer.start()
        try:
            (partition,) = await self._partitions_of([fixmedins_code])
            tp = TopicPartition(self._outcomes_topic, partition)
            consumer.assign([tp])
            end = (await consumer.end_offsets([tp]))[tp]
            start = (await consumer.offsets_for_times({tp: int(since.timestamp() * 1000)}))[tp]
            if start is None:
                return None
            consumer.seek(tp, start.offset)
            wanted = FINAL.get(operation)
            deadline = time.monotonic() + timeout
            while await consumer.position(tp) < end and time.monotonic() < deadline:
                for record in (await consumer.getmany(tp, timeout_ms=500)).get(tp, []):
                    if record.key == fixmedins_code.encode():
                        outcome = parse_outcome(record.value, time.perf_counter())
                        if outcome is not None and outcome.claim_id == claim_id and outcome.event_type == wanted:
                            return outcome
            return None
        finally:
            await consumer.stop()

    @property
    def in_flight(self) -> int:
        return self._router.in_flight


def _with_action(claim: ClaimSubmitted, action: str) -> ClaimSubmitted:
    return claim if claim.action == action else claim.model_copy(update={"action": action})
