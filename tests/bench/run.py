"""`make bench`: the whole stack on this machine, measured end to end, with the ceilings of its parts.

    python -m tests.bench.run                   # the full run (about 6-9 minutes)
    python -m tests.bench.run --short           # a smoke run of the benchmark itself (under a minute)
    python -m tests.bench.run --set BATCH_MAX_RECORDS=1000 --loads 250,500 --sustained 30

Everything runs in a fresh namespace (topics and databases of its own, removed at the end), so a
`make run` on the same servers is not disturbed. Prints a table and writes
`bench-results/bench-<time>.json`. What the figures mean: docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import time
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import uvloop

from libs.china_time import his_now
from libs.hospital.client import HospitalClient
from libs.hospital.simulator.driver import Driver, RawSender
from libs.hospital.simulator.enroll import enroll, wait_until_insured
from libs.hospital.simulator.population import Population, build_population
from libs.hospital.simulator.stats import Stats
from libs.hospital.simulator.stream import TrafficStream
from libs.settings import StackSettings
from tests.bench import ceilings, hops, phases, report
from tests.bench.lag import consumer_lag, wait_until_caught_up
from tests.bench.resources import Sampler
from tests.support.processes import Services
from tests.support.stack import ROOT, Namespace, servers


@dataclass(frozen=True)
class Profile:
    name: str
    people: int
    warmup_seconds: float
    loads: tuple[float, ...]
    load_seconds: float
    sustained_seconds: float
    window: int
    pg_seconds: float
    pg_connections: int = 8
    reply_timeout: float = 60.0  # a request unanswered this long counts as without reply


FULL = Profile("full", people=5000, warmup_seconds=10, loads=(100, 250, 500, 1000, 2000), load_seconds=20,
               sustained_seconds=60, window=3000, pg_seconds=5)
SHORT = Profile("smoke", people=60, warmup_seconds=1, loads=(40,), load_seconds=3, sustained_seconds=4,
                window=100, pg_seconds=0.5, reply_timeout=15)


def step(began: float, what: str) -> None:
    print(f"[bench {time.monotonic() - began:5.0f}s] {what}", flush=True)


async def run(profile: Profile, stack: StackSettings, out_dir: Path, env: dict[str, str] | None = None,
              seed: int = 7) -> dict[str, Any]:
    began = time.monotonic()
    step(began, f"namespace, services ({profile.name} profile)")
    ns = Namespace(stack)
    await ns.create()
    result: dict[str, Any] = {"profile": profile.__dict__, "environment": environment(env or {}), "phases": []}
    logs = out_dir / f"logs-{profile.name}-{datetime.now():%Y%m%d-%H%M%S}"  # the services' logs, kept
    logs.mkdir(parents=True, exist_ok=True)
    services = Services({**ns.process_env, **(env or {})}, logs)
    try:
        await asyncio.to_thread(services.start)
        sampler = Sampler({n: p.proc.pid for n, p in services.all.items() if p.proc}, ns.prefix,
                          kafka_port=int(stack.kafka_bootstrap.rsplit(":", 1)[1]), pg_port=stack.pgport)
        sampler.start()
        clock = his_now()
        population = build_population(seed, profile.people, tag="B", year=clock.year)
        step(began, f"enrolling {len(population.people)} people")
        await enroll_and_wait(ns, population, clock.year)
        step(began, "warming up")
        stream = TrafficStream(population, seed, run_tag="C", clock=clock)
        codes = [i.fixmedins_code for i in population.all_institutions]
        async with HospitalClient(stack.kafka_bootstrap, codes, ns.topic_prefix) as client, \
                RawSender(stack.kafka_bootstrap, ns.topic_prefix) as raw:
            driver = Driver(client, raw, timeout=profile.reply_timeout)
            await driver.run(driver.prepare(stream.take(int(profile.warmup_seconds * 100))), rate=100,
                             duration=profile.warmup_seconds)
            await driver.drain(profile.reply_timeout)
            totals = Stats()
            best = 0.0
            saturated = False
            for rate in profile.loads:
                if saturated and rate > report.AIM_P99_AT:
                    break  # higher offered loads only queue up; the aim's load is always measured
                step(began, f"offering {rate:g} messages a second for {profile.load_seconds:g} s")
                started_ms = int(time.time() * 1000)
                phase = await phases.fixed_load(driver, stream, sampler, rate, profile.load_seconds, profile.reply_timeout)
                result["phases"].append(phase.as_dict())
                try:  # where the time went, hop by hop: a diagnosis, which must not end the run
                    length = int(profile.load_seconds * 1000)  # past the first seconds, as the latencies
                    result["phases"][-1]["hops"] = await hops.per_hop(
                        stack.kafka_bootstrap, ns.topic_prefix, started_ms + min(2000, length // 3), started_ms + length)
                except Exception as exc:
                    print(f"[bench] hop-by-hop figures not read: {exc!r}", flush=True)
                merge(totals, phase.stats)
                print(report.phase_line(phase.as_dict()), flush=True)
                best = max(best, phase.extra["achieved_replies_per_second"])
                if phase.extra["achieved_replies_per_second"] < 0.9 * rate:
                    saturated = True
                    await wait_until_caught_up(stack.kafka_bootstrap, ns.topic_prefix, 180)  # the queue it left
            # Enough in flight to keep every stage busy, not so much that the replies wait behind a long queue.
            window = min(profile.window, max(100, int(best * 1.5)))
            step(began, f"sustained throughput: {window} in flight for {profile.sustained_seconds:g} s")
            phase = await phases.sustained(driver, stream, sampler, profile.sustained_seconds, window, best)
            result["lag_at_end_of_sustained"] = await consumer_lag(stack.kafka_bootstrap, ns.topic_prefix)
            await driver.drain(profile.reply_timeout)
            result["phases"].append(phase.as_dict())
            merge(totals, phase.stats)
            print(report.phase_line(phase.as_dict()), flush=True)
            result["sustained"] = phase.as_dict()
            step(began, "the national interface: whole outpatient visits over HTTP through the gateway")
            try:  # the hospitals' real path, at a modest fixed load; a failure here must not end the run
                result["national_http"] = await national_http(ns, population, profile.load_seconds)
                print(f"[bench] national HTTP: {result['national_http']}", flush=True)
            except Exception as exc:
                print(f"[bench] national HTTP path not measured: {exc!r}", flush=True)
            result["outcomes_by_type"] = totals.as_dict()
            sizes = request_sizes(driver, stream)
        result["lag_after_drain"] = await consumer_lag(stack.kafka_bootstrap, ns.topic_prefix)
        await sampler.stop()
        await asyncio.to_thread(services.stop)
        step(began, "ceilings: raw Kafka and Postgres")
        result["ceilings"] = await measure_ceilings(ns, stack, profile, sum(phase.stats.sent.values()), sizes)
        result["ratios"] = report.ratios(result)
        result["aims"] = report.aims(result)
    finally:
        await asyncio.to_thread(services.stop)
        await ns.drop()
    result["bench_seconds"] = round(time.monotonic() - began, 1)
    result["path"] = str(write(result, out_dir))
    return result


async def national_http(ns: Namespace, population: Population, seconds: float,
                        visits_per_second: float = 10.0) -> dict[str, Any]:
    """Visits (1101, 2201, 2203, 2204, 2206, 2207) at a fixed rate through the gateway: latency per transaction."""
    from libs.hospital.simulator.national_mode import VisitPlayer, connect
    from services.gateway.bootstrap import GatewaySettings

    s = ns.stack
    settings = GatewaySettings(PGHOST=s.pghost, PGPORT=s.pgport, PGUSER=s.pguser, PGPASSWORD=s.pgpassword,
                               DB_PREFIX=ns.prefix)
    clients = await connect(f"http://127.0.0.1:{ns.http_ports['gateway']}", population, settings)
    try:
        stats = await VisitPlayer(clients, population).run(visits_per_second, seconds)
    finally:
        for client in clients.values():
            await client.__aexit__()
    return {"visits_per_second_offered": visits_per_second, "seconds": seconds, **stats.summary()}


async def enroll_and_wait(ns: Namespace, population: Population, year: int, timeout: float = 180.0) -> None:
    """Register everyone, then wait until every consumer group has caught up (no schema knowledge needed)."""
    sent = await enroll(ns.stack.kafka_bootstrap, ns.topic_prefix, population, year)
    deadline = time.monotonic() + timeout
    await wait_until_caught_up(ns.stack.kafka_bootstrap, ns.topic_prefix, timeout,
                               need=("enrollment-enrollment.commands", "settlement-enrollment"))
    stream = TrafficStream(population, 0, run_tag="W", clock=his_now())
    probes = [stream.probe(p) for p in population.people[-3:]]
    async with HospitalClient(ns.stack.kafka_bootstrap, {p.fixmedins_code for p in probes}, ns.topic_prefix) as client:
        if not await wait_until_insured(client, probes, timeout=max(5.0, deadline - time.monotonic())):
            print(f"[bench] warning: the platform did not confirm the {sent} enrollment messages in time", flush=True)


async def measure_ceilings(ns: Namespace, stack: StackSettings, profile: Profile, messages: int,
                           size: int) -> dict[str, Any]:
    kafka = await ceilings.kafka_produce_consume(stack.kafka_bootstrap, ns.topic_prefix, max(messages, 1000), size)
    dsn = ns.dsn("clearing")
    pg_one = await ceilings.postgres_transactions(dsn, profile.pg_seconds, 1)
    pg_pool = await ceilings.postgres_transactions(dsn, profile.pg_seconds, profile.pg_connections)
    return {"kafka_produce_consume": kafka, "postgres_single_row_tx": pg_pool, "postgres_single_row_tx_one_connection": pg_one}


def request_sizes(driver: Driver, stream: TrafficStream) -> int:
    """Mean size in bytes of the requests the stream sends (encoded envelopes)."""
    runs = driver.prepare(stream.take(200))
    sizes = [len(p.value) for r in runs for p in r.prepared if p is not None]
    return int(sum(sizes) / len(sizes))


def merge(into: Stats, other: Stats) -> None:
    into.sent.update(other.sent)
    into.replies.update(other.replies)
    into.reasons.update(other.reasons)
    into.no_reply.update(other.no_reply)
    for op, values in other.latencies.items():
        into.latencies[op].extend(values)


def environment(env: dict[str, str]) -> dict[str, Any]:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout.strip())
    except OSError:
        commit, dirty = "", False
    return {"started": datetime.now().isoformat(timespec="seconds"), "git_commit": commit, "git_dirty": dirty,
            "cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "overrides": env}


def write(result: dict[str, Any], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"bench-{result['profile']['name']}-{datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    return path


def parse_args(argv: list[str] | None = None) -> tuple[Profile, dict[str, str], Path]:
    p = argparse.ArgumentParser(prog="python -m tests.bench.run", description=__doc__.split("\n")[0])
    p.add_argument("--short", action="store_true", help="a smoke run of the benchmark itself")
    p.add_argument("--loads", help="offered loads, messages a second, comma-separated (default 100,250,500,1000,2000)")
    p.add_argument("--load-seconds", type=float, help="seconds at each offered load (default 20)")
    p.add_argument("--sustained", type=float, help="seconds of the sustained-throughput phase (default 60)")
    p.add_argument("--window", type=int, help="most requests in flight in the sustained phase (default 3000)")
    p.add_argument("--people", type=int, help="insured people (default 5000)")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="an environment variable for the services, e.g. BATCH_MAX_RECORDS=1000")
    p.add_argument("--out", type=Path, default=ROOT / "bench-results")
    a = p.parse_args(argv)
    profile = SHORT if a.short else FULL
    changes = {"loads": tuple(float(x) for x in a.loads.split(",")) if a.loads else None,
               "load_seconds": a.load_seconds, "sustained_seconds": a.sustained, "window": a.window, "people": a.people}
    profile = replace(profile, **{k: v for k, v in changes.items() if v is not None})
    return profile, dict(kv.split("=", 1) for kv in a.set), a.out


def main() -> None:
    profile, env, out = parse_args()
    with servers() as stack:
        # the hospitals' side on uvloop, as the services are: on two shared cores its CPU is the stack's
        result = uvloop.run(run(profile, stack, out, env))
    print(report.table(result))
    print(f"\nresults: {result['path']}")


if __name__ == "__main__":
    main()
