"""What the messaging runtime alone costs: one hop through a service that does nothing.

    python -m tests.bench.hop                 # saturated (as fast as it goes) and at 500 messages a second
    python -m tests.bench.hop --rate 500 --messages 6000

A `tests.bench.hop_service` process consumes ClaimSubmitted and emits one ClaimAdjudicated each,
through the full runtime (inbox, outbox, relay, offsets). Reported: messages a second, CPU
microseconds per message of the service, Kafka and Postgres, Postgres commits per message (how
well batches form), and the hop's latency (request's Kafka timestamp to the forwarded message's).
Used to measure changes to libs/messaging without the domain's cost in the way (docs/performance.md).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from libs.china_time import his_now
from libs.contracts.claims import ClaimSubmitted
from libs.contracts.envelope import new_envelope
from libs.contracts.registry import encode
from libs.contracts.topics import CLAIMS_ADJUDICATED, CLAIMS_SUBMITTED
from libs.hospital.simulator.population import build_population
from libs.hospital.simulator.stream import Rates, Scenario, TrafficStream
from libs.messaging.acl import ADMIN
from libs.messaging.connection import client_options, credentials_of
from libs.settings import StackSettings
from tests.bench.hop_service import BORROWED
from tests.bench.resources import Sampler
from tests.support.stack import ROOT, Namespace, servers

_CORRELATION = re.compile(rb'"correlation_id":"([^"]+)"')


def claim_of(visit: Scenario) -> ClaimSubmitted:
    request = visit.steps[0].request
    assert isinstance(request, ClaimSubmitted), request  # an outpatient visit opens with its claim
    return request


def correlation_of(value: bytes) -> bytes:
    found = _CORRELATION.search(value)
    assert found is not None, value[:200]
    return found.group(1)


async def one_run(stack: StackSettings, messages: int, rate: float | None) -> dict[str, float]:
    ns = Namespace(stack)
    await ns.create()
    with tempfile.NamedTemporaryFile(prefix="hop-", suffix=".log", delete=False) as log_file:  # the child has its own
        log = Path(log_file.name)
        service = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.bench.hop_service", cwd=ROOT, stdout=log_file, stderr=asyncio.subprocess.STDOUT,
            env={**os.environ, **ns.env, "PYTHONPATH": str(ROOT),
                 "KAFKA_USERNAME": ADMIN,  # a bench service of no principal: admin
                 "PGUSER": BORROWED})  # and of no database role: the owner of the database it borrows
    try:
        population = build_population(1, 500, tag="H", year=his_now().year)
        quiet = Rates(0, 0, 0, 0, 0, 0, 0, 0)
        stream = TrafficStream(population, 1, run_tag="H", clock=his_now(), mix={"outpatient": 1}, rates=quiet)
        requests = [claim_of(s) for s in stream.take(messages)]
        values = [(r.claim_id.encode(), r.psn_no.encode(),
                   encode(new_envelope(r, producer=r.fixmedins_code, correlation_id=r.claim_id))) for r in requests]
        deadline = time.monotonic() + 60
        while b'"started"' not in await asyncio.to_thread(log.read_bytes):
            if service.returncode is not None or time.monotonic() > deadline:
                raise RuntimeError((await asyncio.to_thread(log.read_text))[-2000:])
            await asyncio.sleep(0.2)
        return await _measure(ns, stack, service.pid, values, rate)
    finally:
        if service.returncode is None:
            service.terminate()
        await asyncio.wait_for(service.wait(), 30)
        os.unlink(log)
        await ns.drop()


async def _measure(ns: Namespace, stack: StackSettings, pid: int, values: list[tuple[bytes, bytes, bytes]],
                   rate: float | None) -> dict[str, float]:
    out = AIOKafkaConsumer(ns.topic_prefix + CLAIMS_ADJUDICATED.name, bootstrap_servers=stack.kafka_bootstrap,
                           group_id="hop-reader", auto_offset_reset="earliest", **client_options(credentials_of(ADMIN)))
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap, acks="all", linger_ms=5,
                                **client_options(credentials_of("gateway")))
    await out.start()
    await producer.start()
    db = await asyncpg.connect(ns.dsn("clearing"))
    commits = "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
    sampler = Sampler({"hop service": pid}, ns.prefix, int(stack.kafka_bootstrap.rsplit(":", 1)[1]), stack.pgport)
    sent_ms: dict[bytes, float] = {}
    latencies: list[float] = []

    async def read() -> None:
        while len(latencies) < len(values):
            for records in (await out.getmany(timeout_ms=200)).values():
                for r in records:
                    latencies.append(r.timestamp - sent_ms[correlation_of(r.value)])

    try:
        commits_before, mark, started = await db.fetchval(commits), sampler.mark(), time.perf_counter()
        reader = asyncio.create_task(read())
        for n, (claim_id, key, value) in enumerate(values):
            sent_ms[claim_id] = time.time() * 1000
            await producer.send(ns.topic_prefix + CLAIMS_SUBMITTED.name, value, key=key)
            if rate and n % 10 == 9 and (delay := started + (n + 1) / rate - time.perf_counter()) > 0:
                await asyncio.sleep(delay)
        await producer.flush()
        await asyncio.wait_for(reader, 300)
        elapsed = time.perf_counter() - started
        window = sampler.since(mark)
        await asyncio.sleep(1.0)  # statistics reach pg_stat_database with a delay
        n = len(values)
        latencies.sort()
        return {"messages_per_second": round(n / elapsed),
                "commits_per_message": round((await db.fetchval(commits) - commits_before) / n, 3),
                **{f"cpu_us_per_message_{k}": round(v * 1e6 / n) for k, v in window.cpu_seconds.items()
                   if k in ("hop service", "kafka", "postgres")},
                "hop_ms_p50": latencies[n // 2], "hop_ms_p99": latencies[int(n * 0.99)]}
    finally:
        await db.close()
        await producer.stop()
        await out.stop()


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m tests.bench.hop", description=__doc__.split("\n")[0])
    p.add_argument("--messages", type=int, default=20000)
    p.add_argument("--rate", type=float, default=None, help="messages a second (default: both saturated and 500)")
    a = p.parse_args()
    with servers() as stack:
        runs = [("saturated", a.messages, None), ("500/s", 6000, 500.0)] if a.rate is None else [(f"{a.rate:g}/s", a.messages, a.rate)]
        for name, messages, rate in runs:
            print(name, asyncio.run(one_run(stack, messages, rate)), flush=True)


if __name__ == "__main__":
    main()
