"""What the simulated hospitals sent and got back: counts by outcome type and reason, latencies."""

from __future__ import annotations

import math
import time
from collections import Counter, defaultdict
from typing import Any

from libs.hospital.outcomes import Outcome

SHORT = {"ClaimSettled": "settled", "ClaimPreSettled": "pre-settled", "ClaimRejected": "rejected",
         "ClaimCancelled": "cancelled"}


class Stats:
    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.sent: Counter[str] = Counter()  # by operation (settle, presettle, cancel, malformed)
        self.replies: Counter[tuple[str, str]] = Counter()  # (operation, event type)
        self.reasons: Counter[str] = Counter()  # rejection reason codes
        self.no_reply: Counter[str] = Counter()  # by operation: gave up waiting
        self.latencies: dict[str, list[float]] = defaultdict(list)  # seconds, by operation
        self.per_second: Counter[int] = Counter()  # replies by whole second since `started`
        self.per_second_settled: Counter[int] = Counter()  # ClaimSettled replies, likewise
        self.latencies_by_second: dict[int, list[float]] = defaultdict(list)  # by the second the reply came

    def record(self, operation: str, outcome: Outcome, latency: float) -> None:
        self.replies[(operation, outcome.event_type)] += 1
        if outcome.reason_code:
            self.reasons[outcome.reason_code] += 1
        self.latencies[operation].append(latency)
        second = int(outcome.received_at - self.started)
        self.per_second[second] += 1
        self.latencies_by_second[second].append(latency)
        if outcome.event_type == "ClaimSettled":
            self.per_second_settled[second] += 1

    @property
    def answered(self) -> int:
        return sum(self.replies.values())

    def by_type(self) -> Counter[str]:
        found: Counter[str] = Counter()
        for (_, event_type), n in self.replies.items():
            found[event_type] += n
        return found

    def latency_ms(self, operation: str | None = None) -> dict[str, float | None]:
        values = sorted(v for op, vs in self.latencies.items() if operation in (None, op) for v in vs)
        return {f"p{q}": percentile(values, q) for q in (50, 95, 99)} | {"max": round(values[-1] * 1000, 1) if values else None}

    def summary_line(self) -> str:
        sent = ", ".join(f"{n} {op}" for op, n in sorted(self.sent.items()))
        got = ", ".join(f"{n} {SHORT.get(t, t)}" for t, n in sorted(self.by_type().items()))
        reasons = " [" + ", ".join(f"{r} {n}" for r, n in self.reasons.most_common(4)) + "]" if self.reasons else ""
        waiting = f", {sum(self.no_reply.values())} without reply" if self.no_reply else ""
        lat = self.latency_ms()
        timing = f" | p50 {lat['p50']} ms, p99 {lat['p99']} ms" if lat["p50"] is not None else ""
        return f"sent {sent or 'nothing'} | replies: {got or 'none yet'}{reasons}{waiting}{timing}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "sent": dict(self.sent), "replies_by_type": dict(self.by_type()),
            "replies": {f"{op}:{t}": n for (op, t), n in sorted(self.replies.items())},
            "rejection_reasons": dict(self.reasons), "no_reply": dict(self.no_reply),
            "latency_ms": {"all": self.latency_ms(), **{op: self.latency_ms(op) for op in sorted(self.latencies)}},
            "latency_timeline_ms": self.latency_timeline(),
        }

    def latency_timeline(self) -> list[tuple[int, int, float | None, float | None]]:
        """(second, replies, p50 ms, p99 ms) of the replies received in each second: whether a phase's tail
        is a steady queue, a queue growing or a few bad seconds."""
        found = []
        for second in sorted(self.latencies_by_second):
            values = sorted(self.latencies_by_second[second])
            found.append((second, len(values), percentile(values, 50), percentile(values, 99)))
        return found


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of seconds, in milliseconds."""
    if not sorted_values:
        return None
    rank = max(0, min(len(sorted_values) - 1, math.ceil(q / 100 * len(sorted_values)) - 1))
    return round(sorted_values[rank] * 1000, 1)
