"""Settlement runs `wallet.payments` in a process of its own (SPLIT_CONSUMERS); the console reaches the
other process. A dead letter of that consumer is replayed and discarded there all the same, on the real
Postgres and Kafka: every process builds every consumer of the service, and subscribes only its own."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import orjson
import pytest

from libs.contracts.topics import WALLET_PAYMENTS
from services.settlement.bootstrap import SettlementSettings, bootstrap
from tests.support.auth import bearer
from tests.support.stack import free_port

pytestmark = pytest.mark.integration
CONSUMER = "settlement-wallet.payments"


@pytest.fixture(scope="module")
async def main_process(own_namespace) -> AsyncIterator[tuple[str, str]]:
    """Settlement's process that consumes everything but wallet.payments, with its API; and its database."""
    port = free_port()
    runtime, _ = bootstrap(own_namespace.settings(SettlementSettings, CONSUME_EXCEPT="wallet.payments",
                                                  SETTLEMENT_HTTP_PORT=port))
    assert CONSUMER in runtime.processors and not runtime.consumes(WALLET_PAYMENTS)
    await runtime.start()
    try:
        yield f"http://127.0.0.1:{port}", own_namespace.dsn("settlement")
    finally:
        await runtime.stop()


async def parked_by_the_payments_process(dsn: str) -> int:
    """A wallet payment for a settlement settlement does not hold, parked by the split consumer."""
    payment = {"event_id": str(uuid.uuid4()), "event_type": "PersonalPartPaid", "payload": {"claim_id": "NOPE"}}
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(
            'INSERT INTO dead_letters (consumer, topic, partition, "offset", reason, message_id, key, value, headers)'
            " VALUES ($1, 'wallet.payments', 0, $2, 'handler failed: LookupError', $3, $4, $5, $6::jsonb) RETURNING id",
            CONSUMER, uuid.uuid4().int % 1_000_000, payment["event_id"], b"P1", orjson.dumps(payment),
            '{"event_type": "PersonalPartPaid"}')
    finally:
        await conn.close()


async def test_the_other_process_replays_a_split_consumers_dead_letter_through_that_consumer(main_process) -> None:
    url, dsn = main_process
    dead = await parked_by_the_payments_process(dsn)
    async with httpx.AsyncClient(base_url=url, headers=bearer("operator"), timeout=30) as http:
        listed = (await http.get("/v1/dead-letters")).json()
        assert dead in [item["id"] for item in listed["items"]]
        replayed = await http.post(f"/v1/dead-letters/{dead}/replay", json={"note": "after the fix"})
    # it ran in wallet.payments' consumer here (not CONSUMER_NOT_HERE), which refuses it again: still invalid
    assert (replayed.status_code, replayed.json()["code"]) == (409, "FAILED_AGAIN"), replayed.text


async def test_the_other_process_discards_a_split_consumers_dead_letter(main_process) -> None:
    url, dsn = main_process
    dead = await parked_by_the_payments_process(dsn)
    async with httpx.AsyncClient(base_url=url, headers=bearer("operator"), timeout=30) as http:
        discarded = await http.post(f"/v1/dead-letters/{dead}/discard", json={"note": "a test's payment"})
        assert discarded.status_code == 200, discarded.text
        assert (await http.get(f"/v1/dead-letters/{dead}")).json()["status"] == "discarded"
