"""Simulated hospitals and pharmacies sending live traffic to the platform.

    python -m libs.hospital.simulator --rate 5                # until Ctrl-C, a summary every 10 s
    python -m libs.hospital.simulator --rate 50 --duration 60 --seed 7 --people 5000

Registers its population through the enrollment office's commands first (idempotent: a second run
re-uses the same people), waits until the settlement engine knows them, then plays the stream.
Kafka and the namespace come from the usual settings (KAFKA_BOOTSTRAP, TOPIC_PREFIX).

`--mode national` (the default) is the hospitals' real path: whole outpatient visits in the national
interface over HTTP to the gateway (GATEWAY_URL, else 127.0.0.1:GATEWAY_HTTP_PORT, default 8105), which registers the
simulated hospitals first (libs/hospital/simulator/national_mode.py). `--mode kafka` publishes the
platform's own claims straight to Kafka, with the scenario mix of libs/hospital/simulator/stream.py.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import time
import uuid
from datetime import datetime

from libs.console_scripts import command_name
from libs.hospital.client import HospitalClient
from libs.hospital.simulator.driver import Driver, RawSender
from libs.hospital.simulator.enroll import enroll, wait_until_insured
from libs.hospital.simulator.population import Population, build_population
from libs.hospital.simulator.stream import TrafficStream
from libs.retry import RetryPolicy, retry_transient
from libs.settings import StackSettings, service_url


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog=command_name("python -m libs.hospital.simulator"), description=__doc__.split("\n")[0])
    p.add_argument("--rate", type=float, default=5.0, help="messages a second offered (default 5)")
    p.add_argument("--duration", type=float, default=None, help="seconds to run (default: until Ctrl-C)")
    p.add_argument("--people", type=int, default=2000, help="insured people in the population (default 2000)")
    p.add_argument("--seed", type=int, default=1, help="seed of the population and of the stream (default 1)")
    p.add_argument("--every", type=float, default=10.0, help="seconds between summary lines (default 10)")
    p.add_argument("--run-tag", default=None, help="prefix of claim ids (default: new for each run)")
    p.add_argument("--mode", choices=("national", "kafka"), default=os.environ.get("SIMULATOR_MODE", "national"),
                   help="national: visits over HTTP to the gateway (default); kafka: claims straight to Kafka")
    return p.parse_args(argv)


async def main(args: argparse.Namespace) -> None:
    settings = StackSettings()
    clock = datetime.now()
    population = build_population(args.seed, args.people, tag=f"SIM{args.seed}-", year=clock.year)
    codes = [i.fixmedins_code for i in population.all_institutions]
    stream = TrafficStream(population, args.seed, run_tag=args.run_tag or f"S{uuid.uuid4().hex[:6]}-", clock=clock)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    sent = await enroll(settings.kafka_bootstrap, settings.topic_prefix, population, clock.year)
    say(f"{len(population.people)} people in {', '.join(population.treatment_regions)}, "
        f"{len(codes)} institutions; {sent} enrollment messages sent")
    if args.mode == "national":
        await national(args, population, stop)
        return
    async with HospitalClient(settings.kafka_bootstrap, codes, settings.topic_prefix) as client, \
            RawSender(settings.kafka_bootstrap, settings.topic_prefix) as raw:
        if not await wait_until_insured(client, [stream.probe(p) for p in population.people[-3:]]):
            say("the platform has not confirmed the population yet; starting anyway")
        driver = Driver(client, raw)
        say(f"offering {args.rate:g} messages a second; Ctrl-C stops")
        reporter = asyncio.create_task(report(driver, args.every, stop))
        await driver.run(stream, rate=args.rate, duration=args.duration, stop=stop)
        await driver.drain(timeout=5.0)
        reporter.cancel()
        say(driver.stats.summary_line())


GATEWAY_START = RetryPolicy(attempts=120, first_delay=0.2, max_delay=2.0)


async def national(args: argparse.Namespace, population: Population, stop: asyncio.Event) -> None:
    from libs.hospital.simulator.national_mode import VisitPlayer, connect

    url = service_url("gateway")

    def waiting(attempt: int, exc: BaseException, _: float) -> None:
        if attempt % 10 == 1:
            say(f"waiting for the gateway at {url} ({type(exc).__name__})")

    # The gateway may still be starting (`make run` starts the simulator with the services): about two minutes,
    # or until Ctrl-C.
    try:
        clients = await retry_transient(lambda: connect(url, population), GATEWAY_START, (Exception,),
                                        on_retry=waiting, give_up=stop.is_set)
    except Exception as exc:
        if not stop.is_set():
            raise
        say(f"stopped while waiting for the gateway at {url} ({type(exc).__name__})")
        return
    player = VisitPlayer(clients, population, args.seed)
    visits_per_s = max(args.rate / 7, 0.1)  # a visit is 7 messages
    say(f"national interface over HTTP at {url}: {visits_per_s:.2g} outpatient visits a second; Ctrl-C stops")

    async def summary() -> None:
        started = time.monotonic()
        while not stop.is_set():
            await asyncio.sleep(args.every)
            say(f"{time.monotonic() - started:5.0f}s  {player.stats.line()}")

    reporter = asyncio.create_task(summary())
    try:
        await player.run(visits_per_s, args.duration, stop)
    finally:
        reporter.cancel()
        for client in clients.values():
            await client.__aexit__()
    say(player.stats.line())


async def report(driver: Driver, every: float, stop: asyncio.Event) -> None:
    started = time.monotonic()
    while not stop.is_set():
        await asyncio.sleep(every)
        say(f"{time.monotonic() - started:5.0f}s  {driver.stats.summary_line()}")


def say(line: str) -> None:
    print(f"[simulator] {line}", file=sys.stdout, flush=True)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
