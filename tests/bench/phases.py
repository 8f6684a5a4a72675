"""The end-to-end phases: the whole stack under simulated HIS traffic, measured from the hospital's side.

* fixed offered loads: an open loop offers N messages a second for a while, whatever the replies;
  latency is from handing a request to Kafka to its reply reaching the hospital client;
* sustained throughput: a closed loop keeps `window` requests in flight for a while; throughput is
  replies a second over the steady part (the first seconds, while the pipeline fills, are left out).
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass
from typing import Any

from libs.hospital.simulator.driver import Driver, Run
from libs.hospital.simulator.stats import Stats
from libs.hospital.simulator.stream import TrafficStream
from tests.bench.resources import Sampler, Window

RAMP_SECONDS = 5


@dataclass
class PhaseResult:
    name: str
    stats: Stats
    seconds: float
    resources: dict[str, Any]
    extra: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "seconds": round(self.seconds, 1), **self.extra, **self.stats.as_dict(),
                "resources": self.resources}


def cpu_per_reply(window: Window, replies: int) -> dict[str, Any]:
    """CPU milliseconds each part spent per reply: a figure that noise on the machine changes little."""
    per = {k: round(v * 1000 / replies, 3) for k, v in window.cpu_seconds.items()} if replies else {}
    return {"cpu_ms_per_reply": per, "cpu_ms_per_reply_total": round(sum(per.values()), 3) if per else None}


def prepare(driver: Driver, stream: TrafficStream, count: int) -> list[Run]:
    """Generate and encode a phase's messages before it starts, so generating costs nothing during it."""
    runs = driver.prepare(stream.take(count))
    gc.collect()
    gc.freeze()  # keep the collector from walking the prepared messages while measuring
    return runs


async def fixed_load(driver: Driver, stream: TrafficStream, sampler: Sampler, rate: float, seconds: float,
                     drain: float) -> PhaseResult:
    runs = prepare(driver, stream, int(rate * seconds) + 10)
    driver.stats = Stats()
    mark = sampler.mark()
    started = time.perf_counter()
    await driver.run(runs, rate=rate, duration=seconds)
    window = sampler.since(mark)
    await driver.drain(drain)
    stats = driver.stats
    steady = range(min(2, int(seconds) - 1), int(seconds))  # the first seconds fill the pipeline
    achieved = sum(stats.per_second[s] for s in steady) / len(steady)
    return PhaseResult(f"offered {rate:g}/s", stats, time.perf_counter() - started,
                       window.as_dict() | cpu_per_reply(window, sum(n for s, n in stats.per_second.items() if s < seconds)),
                       {"offered_per_second": rate, "achieved_replies_per_second": round(achieved, 1)})


async def sustained(driver: Driver, stream: TrafficStream, sampler: Sampler, seconds: float, window: int,
                    expected_rate: float) -> PhaseResult:
    runs = prepare(driver, stream, int(max(2000, expected_rate * seconds * 1.6)))
    driver.stats = Stats()
    mark = sampler.mark()
    started = time.perf_counter()
    await driver.run(runs, window=window, duration=seconds)
    elapsed = time.perf_counter() - started
    resources = sampler.since(mark)
    stats = driver.stats
    first = min(stats.per_second, default=0)  # replies start once the window has filled the pipeline
    steady = list(range(first + RAMP_SECONDS, int(elapsed))) or list(range(first, int(elapsed) + 1))
    replies = sum(stats.per_second[s] for s in steady) / len(steady)
    settled = sum(stats.per_second_settled[s] for s in steady) / len(steady)
    answered_in_window = sum(n for s, n in stats.per_second.items() if s < elapsed)
    return PhaseResult(f"sustained, {window} in flight", stats, elapsed,
                       resources.as_dict() | cpu_per_reply(resources, answered_in_window), {
        "window": window, "steady_seconds": len(steady), "ran_out_of_prepared_claims": elapsed < seconds - 1,
        "replies_per_second": round(replies, 1), "settled_per_second": round(settled, 1),
        "replies_per_second_timeline": [stats.per_second[s] for s in range(int(elapsed) + 1)],
    })
