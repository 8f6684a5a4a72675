"""The wallet running in-process on the real Kafka and Postgres, in a namespace of each test module's own
(`own_namespace`): these tests publish claims, payments and refusals that no other test's services
(which read their topics from the beginning) should see.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from libs.contracts.topics import WALLET_EVENTS, WALLET_PAYMENTS
from services.wallet.bootstrap import WalletSettings, bootstrap
from services.wallet.tests.integration.harness import DAYTIME, Clock, Wallet
from tests.support.auth import bearer
from tests.support.clients import Publisher, TopicReader
from tests.support.stack import Namespace, free_port


@pytest.fixture(scope="module")
async def wallet(own_namespace: Namespace) -> AsyncIterator[Wallet]:
    ns = own_namespace
    port = free_port()
    clock = Clock(DAYTIME)
    runtime, _ = bootstrap(ns.settings(WalletSettings, WALLET_HTTP_PORT=port), clock=clock)
    await runtime.start()
    try:
        await runtime.broker.start()
        bootstrap_servers = ns.env["KAFKA_BOOTSTRAP"]
        async with Publisher(bootstrap_servers, ns.topic_prefix) as publisher, \
                TopicReader(bootstrap_servers, ns.topic_prefix, WALLET_EVENTS) as events, \
                TopicReader(bootstrap_servers, ns.topic_prefix, WALLET_PAYMENTS) as payments, \
                httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=bearer("operator")) as http:
            db = await asyncpg.create_pool(ns.dsn("wallet"), min_size=1, max_size=4)
            try:
                yield Wallet(ns, publisher, events, payments, http, clock, db)
            finally:
                await db.close()
    finally:
        await runtime.broker.stop()
        await runtime.stop()
