"""Plays scenarios against the platform at a given rate, the way many HIS counters would.

One sender loop, no task per claim: each reply's callback records it and queues the scenario's next
step (the settlement after a pre-settlement, the cancel after a settlement). With `rate` the loop
offers that many messages a second whatever the replies (an open loop, for latency at a fixed load);
without it, it keeps `window` requests in flight (for the highest sustained throughput).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from aiokafka import AIOKafkaProducer

from libs.contracts.topics import CLAIMS_SUBMITTED
from libs.hospital.client import HospitalClient, Outcome, Pending, Prepared
from libs.hospital.simulator.stats import Stats
from libs.hospital.simulator.stream import Scenario, Step
from libs.messaging.connection import client_options, default_credentials
from libs.settings import KafkaCredentials

_JOINS = ("same_message", "with_previous")  # sent together with the step before; share its reply


class RawSender:
    """Publishes malformed messages as they are (a HIS bug; the platform must dead-letter them)."""

    def __init__(self, bootstrap: str, topic_prefix: str = "", credentials: KafkaCredentials | None = None) -> None:
        self._topic = topic_prefix + CLAIMS_SUBMITTED.name
        self._producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5,
                                          **client_options(credentials or default_credentials("gateway")))

    async def __aenter__(self) -> RawSender:
        await self._producer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._producer.stop()

    async def send(self, key: str, value: bytes) -> None:
        await self._producer.send(self._topic, value, key=key.encode())


@dataclass(eq=False)
class Run:
    """A scenario being played: its messages prepared, which steps were answered."""

    scenario: Scenario
    prepared: list[Prepared | None]
    stats: Stats | None = None
    answered: set[int] = field(default_factory=set)


class Driver:
    def __init__(self, client: HospitalClient, raw: RawSender, *, timeout: float = 30.0) -> None:
        self.client, self.raw, self.timeout = client, raw, timeout
        self.stats = Stats()
        self._followups: deque[tuple[Run, int]] = deque()
        self._outstanding: deque[tuple[float, Pending, Run, int]] = deque()
        self.unanswered = 0  # requests sent whose reply has neither come nor been given up on
        self.last_reply = time.perf_counter()

    def prepare(self, scenarios: Iterable[Scenario]) -> list[Run]:
        """Wrap and encode every message now, so sending later costs only the send."""
        return [self._prepare(s) for s in scenarios]

    def _prepare(self, scenario: Scenario) -> Run:
        prepared: list[Prepared | None] = []
        for step in scenario.steps:
            if step.request is None:
                prepared.append(None)
            elif step.when == "same_message":
                prepared.append(prepared[-1])
            else:
                prepared.append(self.client.prepare(step.request))
        return Run(scenario, prepared)

    async def run(self, scenarios: Iterable[Scenario | Run], *, rate: float | None = None, duration: float | None = None,
                  window: int = 2000, stop: asyncio.Event | None = None) -> Stats:
        """Offer scenarios until `duration` passes, they run out, or `stop` is set; then return the stats."""
        source: Iterator[Scenario | Run] = iter(scenarios)
        start, offered, exhausted = time.perf_counter(), 0, False
        while not (stop is not None and stop.is_set()):
            elapsed = time.perf_counter() - start
            if (duration is not None and elapsed >= duration) or (exhausted and not self._followups):
                break
            due = int(elapsed * rate) - offered if rate else window - self.client.in_flight
            for _ in range(max(0, min(due, 5000))):
                if self._followups:
                    await self._send(*self._followups.popleft())
                else:
                    item = next(source, None)
                    if item is None:
                        exhausted = True
                        break
                    await self._send(item if isinstance(item, Run) else self._prepare(item), 0)
                offered += 1
            self._expire()
            await asyncio.sleep(0.005)
        return self.stats

    async def drain(self, timeout: float, quiet: float = 3.0) -> None:
        """Send the follow-ups still due and wait for the replies in flight: at most `timeout` seconds,
        and no longer than `quiet` seconds without any reply. What is still unanswered then counts as
        without reply (a cancel the platform does not answer, say)."""
        deadline = time.perf_counter() + timeout
        self.last_reply = time.perf_counter()
        while (self._followups or self.unanswered) and time.perf_counter() < deadline \
                and time.perf_counter() - self.last_reply < quiet:
            while self._followups:
                await self._send(*self._followups.popleft())
            self._expire()
            await asyncio.sleep(0.02)
        self._expire(everything=True)

    async def _send(self, run: Run, index: int) -> None:
        run.stats = run.stats or self.stats
        step = run.scenario.steps[index]
        if step.request is None:
            await self.raw.send(step.key, step.raw or b"")
            run.stats.sent["malformed"] += 1
            return
        prepared = run.prepared[index]
        assert prepared is not None  # a step with a request has its message (see _prepare)
        pending = await self.client.send(prepared)
        run.stats.sent[step.operation] += 1
        if step.when not in _JOINS:
            self._outstanding.append((time.perf_counter() + self.timeout, pending, run, index))
            self.unanswered += 1
            pending.future.add_done_callback(lambda f: self._replied(run, index, pending, f))
        if index + 1 < len(run.scenario.steps) and run.scenario.steps[index + 1].when in _JOINS:
            await self._send(run, index + 1)

    def _replied(self, run: Run, index: int, pending: Pending, future: asyncio.Future[Outcome]) -> None:
        if index in run.answered:
            return
        run.answered.add(index)
        self.unanswered -= 1
        self.last_reply = time.perf_counter()
        if future.cancelled() or future.exception() is not None:
            assert run.stats is not None
            run.stats.no_reply[pending.operation] += 1
            return
        outcome = future.result()
        assert run.stats is not None
        run.stats.record(pending.operation, outcome, outcome.received_at - pending.sent_at)
        following = _next_step(run.scenario.steps, index)
        if following is not None and run.scenario.steps[following].when == f"after:{outcome.event_type}":
            self._followups.append((run, following))

    def _expire(self, everything: bool = False) -> None:
        now = time.perf_counter()
        while self._outstanding and (everything or self._outstanding[0][0] <= now):
            _, pending, run, index = self._outstanding.popleft()
            if not pending.future.done():
                pending.abandon()
                if index not in run.answered and run.stats is not None:
                    run.answered.add(index)
                    self.unanswered -= 1
                    run.stats.no_reply[pending.operation] += 1
        while self._outstanding and self._outstanding[0][1].future.done():
            self._outstanding.popleft()


def _next_step(steps: list[Step], index: int) -> int | None:
    for i in range(index + 1, len(steps)):
        if steps[i].when not in _JOINS:
            return i
    return None

