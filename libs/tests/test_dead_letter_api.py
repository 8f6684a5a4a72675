"""The dead-letter API a service mounts, on the real Postgres and Kafka: list, show masked, discard
with a note, replay through the outbox so that the consumer really processes the message again."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from libs.db.migrations import migrate
from libs.messaging import postgres
from libs.messaging.connection import client_options, credentials_of
from libs.messaging.dead_letter_api import mount_dead_letters
from libs.messaging.dead_letters import logical_topic, mask_person, masked
from libs.settings import ServiceSettings
from tests.support.tokens import Principal, Role, ephemeral_env, issue_token

pytestmark = pytest.mark.integration
CONSUMER = "settlement-claims.submitted"


def test_a_person_number_keeps_two_characters_at_each_end() -> None:
    assert mask_person("P00012345") == "P0*****45"
    assert masked({"payload": {"psn_no": "P00012345", "certno": "430102198503011234"}}) == {
        "payload": {"psn_no": "P0*****45", "certno": "430***********1234"}}


def test_the_outbox_gets_the_topic_without_the_namespace_prefix() -> None:
    assert logical_topic("t1234.claims.submitted", "t1234.") == "claims.submitted"
    assert logical_topic("claims.submitted", "") == "claims.submitted"


@dataclass
class Processed:
    handled: int = 1
    duplicates: int = 0
    dead_lettered: int = 0


@dataclass
class FakeConsumer:
    """The consumer that parked the message: records what it is given, fails again when told to."""

    fails: bool = False
    given: list[Any] = field(default_factory=list)

    async def process(self, records: list[Any]) -> Processed:
        self.given += records
        return Processed(handled=1, dead_lettered=1 if self.fails else 0)


@dataclass
class FakeRuntime:
    """What the router uses of a ServiceRuntime."""

    settings: ServiceSettings
    pool: asyncpg.Pool
    database: postgres.PgDatabase
    migrations: dict[str, Path] = field(default_factory=dict)
    processors: dict[str, FakeConsumer] = field(default_factory=lambda: {CONSUMER: FakeConsumer()})


@pytest.fixture
async def service(namespace, monkeypatch) -> AsyncIterator[tuple[httpx.AsyncClient, asyncpg.Pool, dict[str, Any]]]:
    for name, value in ephemeral_env().items():
        monkeypatch.setenv(name, value)
    admin = await asyncpg.connect(namespace.stack.dsn("postgres"))
    name = f"{namespace.prefix}dlapi_{uuid.uuid4().hex[:6]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    pool = await asyncpg.create_pool(namespace.stack.dsn(name), min_size=1, max_size=4)
    settings = ServiceSettings(service_name="settlement", KAFKA_BOOTSTRAP=namespace.stack.kafka_bootstrap,
                               TOPIC_PREFIX=namespace.topic_prefix)
    runtime = FakeRuntime(settings, pool, postgres.PgDatabase(pool), {"messaging": postgres.MIGRATIONS})
    app = mount_dead_letters(FastAPI(), runtime)
    async with pool.acquire() as conn:
        await migrate(conn, runtime.migrations)
    parked = await park(namespace, pool)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service") as client:
            yield client, pool, {**parked, "consumer": runtime.processors[CONSUMER]}
    finally:
        await pool.close()
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


async def park(namespace, pool: asyncpg.Pool) -> dict[str, Any]:
    """A claim on the source topic, parked by the consumer: its inbox row and its dead-letter row."""
    event_id = str(uuid.uuid4())
    value = orjson.dumps({"event_id": event_id, "event_type": "ClaimSubmitted", "payload": {
        "claim_id": "DL-1", "psn_no": "P00012345", "certno": "430102198503011234"}})
    producer = AIOKafkaProducer(bootstrap_servers=namespace.stack.kafka_bootstrap,
                                **client_options(credentials_of("gateway")))  # the hospitals' way in
    await producer.start()
    try:
        sent = await producer.send_and_wait(namespace.topic_prefix + "claims.submitted", value, key=b"P00012345",
                                            headers=[("event_type", b"ClaimSubmitted")])
    finally:
        await producer.stop()
    reason = "handler failed: 430102198503011234"
    async with pool.acquire() as conn:
        keeps_records = await conn.fetchval("SELECT count(*) FROM information_schema.columns"
                                            " WHERE table_name = 'dead_letters' AND column_name = 'message_id'")
        if keeps_records:  # migration 004: the row keeps the record, the inbox lets the id go
            dead_id = await conn.fetchval(
                'INSERT INTO dead_letters (consumer, topic, partition, "offset", reason, message_id, key, value, headers)'
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb) RETURNING id", CONSUMER, sent.topic, sent.partition,
                sent.offset, reason, event_id, b"P00012345", value, '{"event_type": "ClaimSubmitted"}')
        else:  # before it: the parking transaction kept the id in the inbox, the row only the position
            await conn.execute("INSERT INTO inbox (consumer, message_id) VALUES ($1, $2)", CONSUMER, event_id)
            dead_id = await conn.fetchval(
                'INSERT INTO dead_letters (consumer, topic, partition, "offset", reason) VALUES ($1, $2, $3, $4, $5)'
                " RETURNING id", CONSUMER, sent.topic, sent.partition, sent.offset, reason)
    return {"id": dead_id, "event_id": event_id, "value": value}


def bearer(role: Role, who: str = "alice") -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(Principal(who, role))}"}


async def test_an_auditor_lists_and_reads_a_dead_letter_with_personal_data_masked(service) -> None:
    client, _, parked = service
    listed = (await client.get("/v1/dead-letters", headers=bearer(Role.auditor))).json()
    assert listed["total"] == 1 and listed["items"][0]["topic"] == "claims.submitted"
    assert "430102198503011234" not in listed["items"][0]["reason"]
    shown = (await client.get(f"/v1/dead-letters/{parked['id']}", headers=bearer(Role.auditor))).json()
    assert shown["message"]["json"]["payload"] == {"claim_id": "DL-1", "psn_no": "P0*****45", "certno": "430***********1234"}
    assert shown["message"]["key"] == "P0*****45"


async def test_no_token_is_401_and_an_auditor_may_not_act(service) -> None:
    client, _, parked = service
    assert (await client.get("/v1/dead-letters")).status_code == 401
    assert (await client.post(f"/v1/dead-letters/{parked['id']}/replay", json={}, headers=bearer(Role.auditor))).status_code == 403


async def test_discarding_needs_a_note_and_records_who_discarded(service) -> None:
    client, pool, parked = service
    url = f"/v1/dead-letters/{parked['id']}/discard"
    assert (await client.post(url, json={"note": ""}, headers=bearer(Role.operator))).status_code == 422
    assert (await client.post(url, json={"note": "resent by the hospital"}, headers=bearer(Role.operator))).status_code == 200
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT action, actor, actor_role, note FROM dead_letter_actions")
    assert dict(row) == {"action": "discarded", "actor": "alice", "actor_role": "operator", "note": "resent by the hospital"}
    assert (await client.post(url, json={"note": "again"}, headers=bearer(Role.operator))).status_code == 409


async def test_a_replay_gives_the_original_record_to_the_consumer_that_parked_it_and_records_who(service) -> None:
    client, pool, parked = service
    reply = await client.post(f"/v1/dead-letters/{parked['id']}/replay", json={"note": "fixed"}, headers=bearer(Role.operator))
    assert reply.status_code == 200 and reply.json()["event_id"] == parked["event_id"]
    [record] = parked["consumer"].given
    assert (record.value, record.key) == (parked["value"], b"P00012345")
    async with pool.acquire() as conn:  # nothing in the inbox stops it (the runtime's consumer checks it)
        assert await conn.fetchval("SELECT count(*) FROM inbox WHERE message_id = $1", parked["event_id"]) == 0
    listed = (await client.get("/v1/dead-letters?status=replayed", headers=bearer(Role.service))).json()
    assert listed["items"][0]["action"]["actor"] == "alice"


async def test_a_replay_that_fails_again_leaves_the_dead_letter_open(service) -> None:
    client, _, parked = service
    parked["consumer"].fails = True
    reply = await client.post(f"/v1/dead-letters/{parked['id']}/replay", json={}, headers=bearer(Role.operator))
    assert reply.status_code == 409 and reply.json()["detail"]["code"] == "FAILED_AGAIN"
    listed = (await client.get("/v1/dead-letters?status=open", headers=bearer(Role.auditor))).json()
    assert [i["id"] for i in listed["items"]] == [parked["id"]]
