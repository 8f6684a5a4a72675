"""Matching replies on `claims.outcomes` to the requests a HIS is waiting on.

Every reply carries the claim id (`correlation_id`); a `ClaimRejected` also carries, as
`causation_id`, the event id of the request it refuses, which tells a refused cancel from a refused
settlement of the same claim. Replies are parsed with orjson only as far as routing needs; the typed
envelope is decoded when someone reads it.

A reply that arrives after its waiter gave up (a timeout) is remembered, bounded, so that retrying
the same claim returns the settlement that was made rather than waiting for a second one that the
platform, which settles a claim id once, will never send.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import orjson

from libs.contracts.envelope import Envelope
from libs.contracts.registry import decode

OPERATION_OF = {"ClaimSettled": "settle", "ClaimPreSettled": "presettle", "ClaimCancelled": "cancel"}
FINAL = {"settle": "ClaimSettled", "cancel": "ClaimCancelled"}  # cannot change for the same claim id
OPERATIONS = ("settle", "presettle", "cancel")


class OutcomeTimeout(TimeoutError):
    """No reply in time. The request may still be processed: retrying it never pays twice."""

    def __init__(self, claim_id: str, operation: str, timeout: float) -> None:
        super().__init__(
            f"no reply to {operation} of claim {claim_id} within {timeout:g} s; it may still be processed. "
            f"Retry with the same claim (same claim_id and bill): the platform settles a claim id once, "
            f"and this client returns the earlier reply if it arrives.")
        self.claim_id, self.operation = claim_id, operation


class SendFailed(ConnectionError):
    """Kafka did not accept the request; nothing was sent, so sending it again is safe."""


@dataclass(frozen=True)
class Outcome:
    """One reply for this hospital, as received (`received_at` is `time.perf_counter()`)."""

    event_type: str
    claim_id: str
    fixmedins_code: str
    causation_id: str | None
    received_at: float
    raw: bytes = field(repr=False)
    reason_code: str | None = None

    @cached_property
    def envelope(self) -> Envelope[Any]:
        return decode(self.raw)

    @property
    def payload(self) -> Any:
        return self.envelope.payload

    @property
    def settled(self) -> bool:
        return self.event_type == "ClaimSettled"


@dataclass(eq=False)
class Pending:
    """A request in flight. `sent_at` is `time.perf_counter()` when it was handed to Kafka."""

    claim_id: str
    operation: str
    sent_at: float
    future: asyncio.Future[Outcome]
    router: OutcomeRouter = field(repr=False)

    async def outcome(self, timeout: float = 30.0) -> Outcome:
        try:
            return await asyncio.wait_for(asyncio.shield(self.future), timeout)
        except asyncio.TimeoutError:
            self.router.forget(self)
            raise OutcomeTimeout(self.claim_id, self.operation, timeout) from None

    def abandon(self) -> None:
        """Stop waiting; a reply arriving later is still remembered for a retry."""
        self.router.forget(self)

    def fail(self, exc: BaseException) -> None:
        self.router.forget(self)
        if not self.future.done():
            self.future.set_exception(SendFailed(f"{self.operation} of claim {self.claim_id} was not sent: {exc!r}"))


class OutcomeRouter:
    def __init__(self, remember: int = 50_000) -> None:
        self._remember = remember
        self._pending: dict[tuple[str, str], Pending] = {}
        self._by_event: dict[str, tuple[str, str]] = {}  # request event id -> (claim id, operation)
        self._sent: dict[tuple[str, str], None] = {}  # (claim id, operation) this client asked about
        self._late: dict[tuple[str, str], Outcome] = {}  # replies nobody was waiting for any more

    @property
    def in_flight(self) -> int:
        return len(self._pending)

    def expect(self, claim_id: str, operation: str, event_id: str) -> Pending:
        """Wait for the reply to a request about to be sent; a retry joins the request in flight."""
        key = (claim_id, operation)
        _bounded_put(self._by_event, event_id, key, self._remember)
        _bounded_put(self._sent, key, None, self._remember)
        pending = self._pending.get(key)
        if pending is not None and not pending.future.done():
            return pending
        pending = Pending(claim_id, operation, time.perf_counter(), asyncio.get_running_loop().create_future(), self)
        late = self._late.get(key)
        if late is not None and late.event_type == FINAL.get(operation):
            pending.future.set_result(late)  # settled (or cancelled) before: that is the answer
        else:
            self._pending[key] = pending
        return pending

    def forget(self, pending: Pending) -> None:
        if self._pending.get((pending.claim_id, pending.operation)) is pending:
            del self._pending[(pending.claim_id, pending.operation)]

    def deliver(self, value: bytes | None, received_at: float) -> Outcome | None:
        """Route one record of this hospital's partition; return it if it is a reply to one of ours."""
        outcome = parse_outcome(value, received_at)
        if outcome is None:
            return None
        key = self._key_of(outcome)
        if key is None:
            return None
        pending = self._pending.pop(key, None)
        if pending is not None:
            if not pending.future.done():
                pending.future.set_result(outcome)
        elif key in self._sent:
            _bounded_put(self._late, key, outcome, self._remember)
        return outcome

    def _key_of(self, outcome: Outcome) -> tuple[str, str] | None:
        if outcome.event_type != "ClaimRejected":
            operation = OPERATION_OF.get(outcome.event_type)
            return (outcome.claim_id, operation) if operation else None
        key = self._by_event.get(outcome.causation_id or "")
        if key is not None:
            return key
        return next(((outcome.claim_id, op) for op in OPERATIONS if (outcome.claim_id, op) in self._pending), None)


def parse_outcome(value: bytes | None, received_at: float) -> Outcome | None:
    """Just the routing fields of a reply (None for anything that is not one).

    Whatever the record holds, this returns or gives None, never raises: a hostile record on the
    topic (a list where an object belongs, a number for a claim id, nesting a thousand deep) must not
    end the client's reader. Every routing field must be a short string, so it can key a dict.
    """
    try:
        data = orjson.loads(value or b"")
    except orjson.JSONDecodeError:
        return None  # not an outcome this client understands; the platform's DLQ handles garbage
    payload = data.get("payload") if isinstance(data, dict) else None
    if not isinstance(payload, dict):
        return None
    event_type, claim_id, fixmedins_code = data.get("event_type"), payload.get("claim_id"), payload.get("fixmedins_code")
    causation_id, reason_code = data.get("causation_id"), payload.get("reason_code")
    if not all(_short(v) for v in (event_type, claim_id, fixmedins_code)) or not all(
            v is None or _short(v) for v in (causation_id, reason_code)):
        return None
    return Outcome(event_type, claim_id, fixmedins_code, causation_id, received_at, value or b"", reason_code)


def _short(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= 200


def _bounded_put(d: dict[Any, Any], key: Any, value: Any, limit: int) -> None:
    d.pop(key, None)
    d[key] = value
    while len(d) > limit:
        del d[next(iter(d))]
