"""Every principal × every topic on the real broker: produce and consume are allowed or refused exactly
as the ACL table says (libs/messaging/acl.py, printed in docs/security.md), and the Kafka abuses of
issue #14 are refused.

The matrix is driven by the table; `HAND_WRITTEN` states a few cells by hand, so that a wrong table
fails too. Everything runs in the module's own namespace, whose topics got the table's entries when
it was created (and lose them when it is dropped).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    KafkaError,
    TopicAuthorizationFailedError,
)

from libs.contracts.envelope import new_envelope
from libs.contracts.registry import encode
from libs.contracts.topics import (
    ALL_TOPICS,
    CLAIMS_ADJUDICATED,
    CLAIMS_OUTCOMES,
    CLAIMS_SUBMITTED,
    CLEARING_EVENTS,
    DEAD_LETTER,
    ENROLLMENT_COMMANDS,
    ENROLLMENT_EVENTS,
    REIMBURSEMENTS_COMMANDS,
    REIMBURSEMENTS_OUTCOMES,
    WALLET_COMMANDS,
    WALLET_EVENTS,
    WALLET_PAYMENTS,
    Topic,
)
from libs.contracts.wallet import CreditPersonalAccount
from libs.messaging.acl import ADMIN, GRANTS, PRINCIPALS, acls, may_consume, may_produce
from libs.messaging.admin import describe_acls, platform_acls_held, sync_acls
from libs.messaging.connection import client_options, credentials_of
from libs.settings import KafkaCredentials
from tests.support.stack import Namespace

pytestmark = pytest.mark.integration

# (principal, operation, topic, allowed): written by hand from the issue, not from the table.
HAND_WRITTEN = [
    ("offices", "produce", ENROLLMENT_COMMANDS, True),
    ("offices", "produce", WALLET_COMMANDS, False),      # credit any account with up to 2^63-1 fen
    ("offices", "produce", WALLET_EVENTS, False),        # a RelativePremiumPaid for a free enrollment
    ("offices", "consume", CLAIMS_OUTCOMES, False),
    ("gateway", "produce", CLAIMS_SUBMITTED, True),
    ("gateway", "consume", CLAIMS_OUTCOMES, True),
    ("gateway", "produce", CLAIMS_OUTCOMES, False),      # a forged ClaimSettled for clearing
    ("gateway", "produce", ENROLLMENT_EVENTS, False),    # a CoverageChanged pinned at version 2^31-1
    ("gateway", "consume", ENROLLMENT_EVENTS, False),
    ("settlement", "produce", ENROLLMENT_EVENTS, False),
    ("settlement", "produce", CLAIMS_OUTCOMES, True),
    ("settlement", "consume", ENROLLMENT_COMMANDS, False),  # names and ID numbers: enrollment's alone
    ("wallet", "produce", CLAIMS_ADJUDICATED, False),
    ("wallet", "produce", WALLET_PAYMENTS, True),
    ("clearing", "produce", CLAIMS_OUTCOMES, False),
    ("clearing", "consume", CLAIMS_OUTCOMES, True),
    ("clearing", "consume", ENROLLMENT_COMMANDS, False),
    ("enrollment", "consume", ENROLLMENT_COMMANDS, True),
    ("enrollment", "produce", WALLET_EVENTS, False),
    ("console", "consume", DEAD_LETTER, True),
    ("console", "consume", CLAIMS_OUTCOMES, True),       # its projection (services/console)
    ("console", "produce", CLAIMS_OUTCOMES, False),
    ("console", "produce", CLAIMS_SUBMITTED, False),
    ("console", "consume", ENROLLMENT_COMMANDS, False),
    ("admin", "produce", WALLET_COMMANDS, True),
    ("offices", "produce", REIMBURSEMENTS_COMMANDS, True),
    ("offices", "consume", REIMBURSEMENTS_OUTCOMES, True),
    ("offices", "produce", REIMBURSEMENTS_OUTCOMES, False),   # a forged ReimbursementSettled
    ("gateway", "produce", REIMBURSEMENTS_COMMANDS, False),
    ("settlement", "consume", REIMBURSEMENTS_COMMANDS, True),
    ("clearing", "consume", REIMBURSEMENTS_OUTCOMES, False),
    ("enrollment", "consume", REIMBURSEMENTS_OUTCOMES, True),  # manual reimbursements end no-claim years
    ("enrollment", "produce", REIMBURSEMENTS_OUTCOMES, False),
]
MATRIX = [(p, op, t) for p in PRINCIPALS for t in ALL_TOPICS for op in ("produce", "consume")]
READ_WAIT_S = 8.0  # a refused read returns nothing (aiokafka logs the refusal): wait this long for a record


def table_says(principal: str, operation: str, topic: Topic) -> bool:
    return may_produce(principal, topic) if operation == "produce" else may_consume(principal, topic)


def options(principal: str, **extra: Any) -> dict[str, Any]:
    return {**client_options(credentials_of(principal)), "request_timeout_ms": 10_000, **extra}


async def try_produce(bootstrap: str, principal: str, name: str, value: bytes = b'{"matrix":1}') -> bool:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", **options(principal))
    await producer.start()
    try:
        await producer.send_and_wait(name, value, key=b"matrix")
        return True
    except TopicAuthorizationFailedError:
        return False
    finally:
        await producer.stop()


async def try_consume(bootstrap: str, principal: str, name: str, partitions: int) -> bool:
    """Whether `principal` reads the record seeded on `name` (no consumer group: a fetch alone)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, **options(principal))
    await consumer.start()
    try:
        consumer.assign([TopicPartition(name, p) for p in range(partitions)])
        await consumer.seek_to_beginning()
        deadline = asyncio.get_running_loop().time() + READ_WAIT_S
        while asyncio.get_running_loop().time() < deadline:
            try:
                batches = await consumer.getmany(timeout_ms=500)
            except TopicAuthorizationFailedError:
                return False
            if any(batches.values()):
                return True
        return False
    finally:
        await consumer.stop()


@pytest.fixture(scope="module")
async def seeded(own_namespace: Namespace) -> AsyncIterator[Namespace]:
    """One record on every topic of the namespace (as admin), for the consumers to find."""
    for topic in ALL_TOPICS:
        assert await try_produce(own_namespace.stack.kafka_bootstrap, ADMIN, own_namespace.topic_prefix + topic.name)
    yield own_namespace


def test_the_hand_written_cells_agree_with_the_table() -> None:
    wrong = [(p, op, t.name, allowed) for p, op, t, allowed in HAND_WRITTEN if table_says(p, op, t) != allowed]
    assert not wrong


def test_every_principal_but_admin_has_a_grant_and_every_topic_a_writer_or_admin_only() -> None:
    assert set(PRINCIPALS) == {"admin", "enrollment", "settlement", "wallet", "clearing", "gateway", "offices", "console"}
    written = {t for g in GRANTS for t in g.produces}
    assert set(ALL_TOPICS) - written == {WALLET_COMMANDS}  # credits: admin tooling only (docs/security.md)


def test_a_services_own_event_topics_have_no_other_writer() -> None:
    own = {ENROLLMENT_EVENTS: "enrollment", WALLET_EVENTS: "wallet", WALLET_PAYMENTS: "wallet",
           CLAIMS_ADJUDICATED: "settlement", CLAIMS_OUTCOMES: "settlement", CLEARING_EVENTS: "clearing",
           CLAIMS_SUBMITTED: "gateway", ENROLLMENT_COMMANDS: "offices", REIMBURSEMENTS_OUTCOMES: "settlement"}
    for topic, owner in own.items():
        assert [g.principal for g in GRANTS if topic in g.produces] == [owner], topic.name


async def test_the_broker_holds_the_table_for_the_platform_and_for_a_namespace(seeded: Namespace) -> None:
    held = set(await asyncio.to_thread(describe_acls, seeded.stack.kafka_bootstrap))
    assert await asyncio.to_thread(platform_acls_held, seeded.stack.kafka_bootstrap) == set(acls())
    assert set(acls(seeded.topic_prefix, wildcards=False)) <= held
    # and nothing more for the namespace's topics than the table says
    mine = {a for a in held if a.name.startswith(seeded.topic_prefix)}
    assert mine == set(acls(seeded.topic_prefix, wildcards=False))


async def test_a_grant_the_table_no_longer_has_is_revoked_by_the_next_make_up(seeded: Namespace) -> None:
    from libs.messaging.acl import Acl
    from libs.messaging.admin import create_acls

    bootstrap = seeded.stack.kafka_bootstrap
    stale = Acl("offices", "topic", WALLET_COMMANDS.name, "literal", "write")  # e.g. granted by hand once
    await asyncio.to_thread(create_acls, bootstrap, [stale])
    assert stale in await asyncio.to_thread(platform_acls_held, bootstrap)
    added, removed = await asyncio.to_thread(sync_acls, bootstrap)
    assert (added, removed) == ([], [stale])
    assert await asyncio.to_thread(platform_acls_held, bootstrap) == set(acls())


async def test_every_principal_produces_and_consumes_exactly_what_the_table_says(seeded: Namespace) -> None:
    bootstrap, prefix = seeded.stack.kafka_bootstrap, seeded.topic_prefix
    sem = asyncio.Semaphore(40)

    async def cell(principal: str, op: str, topic: Topic) -> bool:
        async with sem:
            if op == "produce":
                return await try_produce(bootstrap, principal, prefix + topic.name)
            return await try_consume(bootstrap, principal, prefix + topic.name, topic.partitions)

    seen = await asyncio.gather(*(cell(*c) for c in MATRIX))
    differ = [(p, op, t.name, got) for (p, op, t), got in zip(MATRIX, seen, strict=True) if got != table_says(p, op, t)]
    assert not differ, f"(principal, operation, topic, what the broker did) unlike the table: {differ}"
    hand = {(p, op, t.name): allowed for p, op, t, allowed in HAND_WRITTEN}
    assert all({(p, op, t.name): got for (p, op, t), got in zip(MATRIX, seen, strict=True)}[k] == v for k, v in hand.items())


async def test_an_office_cannot_credit_an_account(seeded: Namespace) -> None:
    # built unchecked: the contract's bounds refuse 2^63-1 fen too (libs/contracts/bounds.py); the broker must refuse first
    credit = CreditPersonalAccount.model_construct(credit_id="steal-1", psn_no="P00001", amount=2**63 - 1,
                                                   kind="contribution", year=2026)
    value = encode(new_envelope(credit, producer="offices", correlation_id="steal-1"))
    assert not await try_produce(seeded.stack.kafka_bootstrap, "offices", seeded.topic_prefix + WALLET_COMMANDS.name, value)


async def test_a_service_cannot_write_another_services_event_topic(seeded: Namespace) -> None:
    forged = b'{"event_type":"CoverageChanged","payload":{"psn_no":"P00001","version":2147483647}}'
    for principal in ("settlement", "wallet", "clearing"):
        assert not await try_produce(seeded.stack.kafka_bootstrap, principal, seeded.topic_prefix + ENROLLMENT_EVENTS.name, forged)
    premium = b'{"event_type":"RelativePremiumPaid","payload":{"psn_no":"P00001","amount":1}}'
    for principal in ("enrollment", "settlement", "offices", "gateway"):
        assert not await try_produce(seeded.stack.kafka_bootstrap, principal, seeded.topic_prefix + WALLET_EVENTS.name, premium)


async def test_a_principal_cannot_join_another_principals_consumer_group(seeded: Namespace) -> None:
    """Joining settlement's group would take partitions of claims.submitted away from it, or commit
    offsets past claims nobody settled."""
    bootstrap, prefix = seeded.stack.kafka_bootstrap, seeded.topic_prefix
    for principal, group, topic, allowed in [
        ("clearing", f"{prefix}settlement-claims.outcomes", CLAIMS_OUTCOMES, False),
        ("gateway", f"{prefix}settlement-claims.submitted", CLAIMS_OUTCOMES, False),
        ("clearing", f"{prefix}clearing-matrix-{uuid.uuid4().hex[:6]}", CLAIMS_OUTCOMES, True),
    ]:
        consumer = AIOKafkaConsumer(prefix + topic.name, bootstrap_servers=bootstrap, group_id=group,
                                    enable_auto_commit=False, auto_offset_reset="earliest", **options(principal))
        try:
            await consumer.start()
            await asyncio.wait_for(consumer.getmany(timeout_ms=3000), 20)
            await consumer.commit()
            joined = True
        except GroupAuthorizationFailedError:
            joined = False
        finally:
            await consumer.stop()
        assert joined == allowed, (principal, group)


async def test_no_principal_but_admin_creates_topics(seeded: Namespace) -> None:
    bootstrap, prefix = seeded.stack.kafka_bootstrap, seeded.topic_prefix
    wanted = {principal: f"{prefix}squat.{principal}" for principal in ("settlement", "offices", "gateway", "console")}
    for principal, name in wanted.items():
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **options(principal))
        await admin.start()
        try:
            await admin.create_topics([NewTopic(name, 1, 1)])  # refused: an error code, or an exception
        except KafkaError:
            pass
        finally:
            await admin.close()
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **options(ADMIN))
    await admin.start()
    try:
        assert not set(wanted.values()) & set(await admin.list_topics())
    finally:
        await admin.close()


async def test_nobody_connects_without_credentials(seeded: Namespace) -> None:
    bootstrap = seeded.stack.kafka_bootstrap
    # No SASL at all: the broker's only client listener speaks SASL, the client gets no answer it understands.
    plain = AIOKafkaProducer(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    with pytest.raises(KafkaError):
        await asyncio.wait_for(plain.start(), 30)
    await plain.stop()
    # A known principal with a wrong password, and an unknown principal.
    for username, password in (("settlement", "not-the-password"), ("hospital-h43010001", "guess")):
        stranger = KafkaCredentials(username, password)
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **{**client_options(stranger), "request_timeout_ms": 5000})
        with pytest.raises((KafkaError, KafkaConnectionError)):
            await asyncio.wait_for(producer.start(), 30)
        await producer.stop()
