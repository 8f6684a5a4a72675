"""Settlement in-process on the real Kafka and Postgres, with a stand-in wallet that pays in cash."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date

import asyncpg
import pytest

from libs.contracts.enrollment import CoverageChanged
from libs.contracts.topics import CLAIMS_OUTCOMES, CLAIMS_SUBMITTED, ENROLLMENT_EVENTS, REIMBURSEMENTS_OUTCOMES
from services.settlement.bootstrap import SettlementSettings, bootstrap
from tests.support.cash_wallet import cash_wallet
from tests.support.clients import Publisher, TopicReader


class Settlement:
    url = ""

    def __init__(self, namespace, publisher: Publisher, outcomes: TopicReader, offices: TopicReader) -> None:
        self.namespace, self.publisher, self.outcomes, self.offices = namespace, publisher, outcomes, offices

    async def enroll(self, psn_no: str, **fields) -> None:
        snapshot = dict(psn_no=psn_no, version=fields.pop("version", 1), insutype="390", insuplc_admdvs="430100",
                        gend="1", age=40, active=True, coverage_begin=date(2020, 1, 1)) | fields
        await self.publisher.send(ENROLLMENT_EVENTS, psn_no, CoverageChanged(**snapshot), f"enroll-{psn_no}")
        await self.publisher.flush()
        for _ in range(100):
            if await self.fetchval("SELECT version FROM coverage WHERE psn_no = $1", psn_no) == snapshot["version"]:
                return
            await asyncio.sleep(0.05)
        raise TimeoutError(f"{psn_no} did not reach settlement's projection")

    async def submit(self, message, timeout: float = 30.0):
        """Send a claim or a cancel request and wait for the next outcome of that claim."""
        seen = len(self.outcomes.by_correlation.get(message.claim_id, []))
        await self.publisher.send(CLAIMS_SUBMITTED, message.psn_no, message, message.claim_id)
        await self.publisher.flush()
        await self.outcomes.wait_for(lambda: len(self.outcomes.by_correlation.get(message.claim_id, [])) > seen, timeout)
        return self.outcomes.by_correlation[message.claim_id][seen].payload

    async def fetchval(self, sql: str, *args):
        conn = await asyncpg.connect(self.namespace.dsn("settlement"))
        try:
            return await conn.fetchval(sql, *args)
        finally:
            await conn.close()

    async def fetch(self, sql: str, *args):
        conn = await asyncpg.connect(self.namespace.dsn("settlement"))
        try:
            return await conn.fetch(sql, *args)
        finally:
            await conn.close()


@pytest.fixture(scope="module")
async def settlement(namespace) -> AsyncIterator[Settlement]:
    env = namespace.env
    port = namespace.http_ports["settlement"]
    settings = namespace.settings(SettlementSettings, SETTLEMENT_HTTP_PORT=port)
    runtime, _ = bootstrap(settings)  # the offices' calls carry real tokens (tests/support/auth.py)
    await runtime.start()
    await runtime.broker.start()
    async with Publisher(env["KAFKA_BOOTSTRAP"], namespace.topic_prefix) as publisher, \
            TopicReader(env["KAFKA_BOOTSTRAP"], namespace.topic_prefix, CLAIMS_OUTCOMES) as outcomes, \
            TopicReader(env["KAFKA_BOOTSTRAP"], namespace.topic_prefix, REIMBURSEMENTS_OUTCOMES) as offices:
        wallet = asyncio.create_task(cash_wallet(env["KAFKA_BOOTSTRAP"], namespace.topic_prefix, publisher))
        try:
            service = Settlement(namespace, publisher, outcomes, offices)
            service.url = f"http://127.0.0.1:{port}"
            yield service
        finally:
            wallet.cancel()
            await asyncio.gather(wallet, return_exceptions=True)
            await runtime.broker.stop()
            await runtime.stop()
