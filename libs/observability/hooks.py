"""The calls libs/messaging makes into observability: one line at each place, cheap on the hot path."""

from __future__ import annotations

import time
from typing import Any

from libs.observability import metrics as m
from libs.observability import tracing
from libs.observability.business import observe_committed

__all__ = ["batch_done", "batch_failed", "begin_batch", "committed", "headers_for", "relay_failed", "relay_parked",
           "relay_published", "transaction_timer"]

begin_batch = tracing.begin_batch
headers_for = tracing.headers_for
committed = observe_committed


def batch_done(consumer: str, size: int, started: float, stats: Any) -> None:
    """A batch's transaction committed (`started`: its `time.perf_counter()` when it was taken)."""
    m.observe_batch(consumer, size, time.perf_counter() - started, stats.handled, stats.duplicates,
                    stats.ignored, stats.dead_lettered, stats.attempts)
    tracing.end_batch()


def batch_failed(consumer: str, size: int) -> None:
    """A batch given up (its offsets stay uncommitted): the batch and its records counted as failed."""
    m.observe_failed_batch(consumer, size)
    tracing.end_batch(failed=True)


def transaction_timer(consumer: str) -> Any:
    """A context manager timing one attempt's transaction."""
    return m.TRANSACTION_SECONDS.labels(consumer).time()


def relay_published(count: int, started: float) -> None:
    m.RELAY_PUBLISHED.inc(count)
    m.RELAY_SECONDS.observe(time.perf_counter() - started)


def relay_failed() -> None:
    m.RELAY_FAILURES.inc()


def relay_parked(count: int) -> None:
    m.RELAY_PARKED.inc(count)
