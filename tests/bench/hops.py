"""Where a claim's time goes, hop by hop, from the records' own timestamps.

Every record carries the time its producer handed it to Kafka (CreateTime): the hospital's claim on
`claims.submitted`, settlement's `ClaimAdjudicated` on `settlement.adjudicated`, the wallet's
`PersonalPartPaid` on `wallet.payments`, settlement's `ClaimSettled` on `claims.outcomes`. The
differences, per claim, are the hops: each includes the consumer's wait for its batch, the
transaction and the relay's publish. Only settled claims go through every hop.

    python -m tests.bench.hops --seconds 30            # the last 30 s of the default topics
    python -m tests.bench.hops --prefix t1a2b3c4d. --seconds 30
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from libs.contracts.topics import CLAIMS_ADJUDICATED, CLAIMS_OUTCOMES, CLAIMS_SUBMITTED, WALLET_PAYMENTS
from libs.messaging.acl import ADMIN
from libs.messaging.connection import client_options, credentials_of
from libs.settings import StackSettings

HOPS = (
    ("settlement: submitted → adjudicated", CLAIMS_SUBMITTED.name, CLAIMS_ADJUDICATED.name),
    ("wallet: adjudicated → paid", CLAIMS_ADJUDICATED.name, WALLET_PAYMENTS.name),
    ("settlement: paid → settled", WALLET_PAYMENTS.name, CLAIMS_OUTCOMES.name),
    ("whole path: submitted → settled", CLAIMS_SUBMITTED.name, CLAIMS_OUTCOMES.name),
)
WANTED = {CLAIMS_SUBMITTED.name: "ClaimSubmitted", CLAIMS_ADJUDICATED.name: "ClaimAdjudicated",
          WALLET_PAYMENTS.name: "PersonalPartPaid", CLAIMS_OUTCOMES.name: "ClaimSettled"}


async def _first_seen(bootstrap: str, topic: str, event_type: str, start_ms: int, end_ms: int) -> dict[str, int]:
    """claim_id → CreateTime of its first record of `event_type` produced from `start_ms` on (until
    `end_ms` plus a margin for the later hops)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                **client_options(credentials_of(ADMIN)))  # reads every hop's topic
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        if not parts:
            return {}
        consumer.assign(parts)
        starts = await consumer.offsets_for_times(dict.fromkeys(parts, start_ms))
        ends = await consumer.end_offsets(parts)
        left = set()
        for tp in parts:
            if starts[tp] is not None and starts[tp].offset < ends[tp]:
                consumer.seek(tp, starts[tp].offset)
                left.add(tp)
        seen: dict[str, int] = {}
        while left:
            batches = await consumer.getmany(*left, timeout_ms=2000, max_records=10_000)
            if not batches:
                break
            for tp, records in batches.items():
                for r in records:
                    if r.offset + 1 >= ends[tp] or r.timestamp > end_ms:
                        left.discard(tp)
                    try:
                        envelope = orjson.loads(r.value)
                    except orjson.JSONDecodeError:
                        continue  # a malformed claim the simulator sent on purpose
                    if envelope.get("event_type") == event_type:
                        claim_id = envelope.get("payload", {}).get("claim_id")
                        if claim_id is not None:
                            seen.setdefault(claim_id, r.timestamp)
        return seen
    finally:
        await consumer.stop()


def _percentiles(values: list[int]) -> dict[str, Any]:
    values = sorted(values)
    n = len(values)
    return {"claims": n, "p50_ms": values[n // 2], "p95_ms": values[int(n * 0.95)],
            "p99_ms": values[int(n * 0.99)], "max_ms": values[-1]}


async def per_hop(bootstrap: str, prefix: str, start_ms: int, end_ms: int, margin_ms: int = 30_000) -> dict[str, Any]:
    """p50/p95/p99 of each hop, for the claims submitted between `start_ms` and `end_ms`."""
    seen = {}
    for topic, event_type in WANTED.items():
        until = end_ms if topic == CLAIMS_SUBMITTED.name else end_ms + margin_ms
        seen[topic] = await _first_seen(bootstrap, prefix + topic, event_type, start_ms, until)
    submitted = {k: t for k, t in seen[CLAIMS_SUBMITTED.name].items() if t <= end_ms}
    complete = [k for k in submitted if all(k in seen[t] for t in WANTED)]
    if not complete:
        return {}
    return {name: _percentiles([seen[later][k] - seen[earlier][k] for k in complete])
            for name, earlier, later in HOPS}


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m tests.bench.hops", description=__doc__.split("\n")[0])
    p.add_argument("--prefix", default=StackSettings().topic_prefix, help="the topics' namespace (TOPIC_PREFIX)")
    p.add_argument("--seconds", type=float, default=30.0, help="claims submitted in the last this many seconds")
    args = p.parse_args()
    now = int(time.time() * 1000)
    hops = asyncio.run(per_hop(StackSettings().kafka_bootstrap, args.prefix, now - int(args.seconds * 1000), now, 0))
    if not hops:
        print("no settled claim went through every hop in that window")
    for name, figures in hops.items():
        print(f"{name:36s} " + "  ".join(f"{k} {v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
