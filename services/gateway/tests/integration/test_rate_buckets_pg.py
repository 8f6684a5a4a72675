"""The institutions' token buckets on the real Postgres: the buckets' contract, and two gateway apps, each
with its own pool as two processes would have, that together admit an institution's burst and no more."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, cast

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from libs.china_time import china_now
from libs.db.pool import create_pool
from libs.hospital.outcomes import OutcomeRouter
from libs.hospital.simulator.national import NationalClient
from libs.messaging.postgres import PgDatabase
from libs.pii import new_key
from services.gateway.adapters.catalogue import FileCatalogues
from services.gateway.adapters.credentials import Institution, PgCredentials, secret_sealer
from services.gateway.adapters.rate_buckets import MemoryRateBuckets, PgRateBuckets
from services.gateway.adapters.repository import PgGatewayStore
from services.gateway.domain.rate_limit import RatePolicy
from services.gateway.entrypoints.http import Gateway, create_app
from services.gateway.service_layer.deps import Deps
from services.gateway.service_layer.ports import RateBuckets
from services.gateway.service_layer.service import GatewayService
from services.gateway.tests.integration.database import migrated_connection
from services.gateway.tests.unit.rate_buckets_contract import RateBucketsContract

pytestmark = pytest.mark.integration

PATH = "/fsi/api/rsfComIfsService/callService"
SEALER = secret_sealer(f"k1:{new_key()}")
BURST = 6
# A token every 100 s: none returns while a test runs, so exactly the burst is admitted.
SLOW = RatePolicy(rate_per_s=0.01, burst=BURST)


@pytest.fixture
async def conn(namespace) -> AsyncIterator[asyncpg.Connection]:
    conn = await migrated_connection(namespace)
    try:
        yield conn
    finally:
        await conn.close()


class TestPgRateBuckets(RateBucketsContract):
    @pytest.fixture
    async def buckets(self, namespace, conn) -> AsyncIterator[PgRateBuckets]:
        await conn.execute("DELETE FROM rate_buckets WHERE fixmedins_code IN ('H1', 'H2')")
        pool = await create_pool(namespace.dsn("gateway"), max_size=1)
        try:
            yield PgRateBuckets(lambda: pool)
        finally:
            await pool.close()

    @pytest.fixture
    def let_pass(self, conn) -> Callable[[float], Awaitable[None]]:
        async def let_pass(seconds: float) -> None:
            await conn.execute("UPDATE rate_buckets SET updated_at = updated_at - make_interval(secs => $1)", seconds)
        return let_pass


@pytest.fixture
async def institution(conn) -> Institution:
    code = "H" + uuid.uuid4().hex[:11].upper()  # a bucket of its own in the session's database
    return await PgCredentials(conn, SEALER).register_institution(code, "限流医院", "3", "371300")


def app_on(pool: asyncpg.Pool, buckets: RateBuckets | None = None, service: type[GatewayService] = GatewayService) -> FastAPI:
    """A gateway process's HTTP app on `pool`, with the shared buckets unless told otherwise."""
    database = PgDatabase(pool)
    deps = Deps(database=database, store_for=lambda tx: PgGatewayStore(tx.conn), router=OutcomeRouter(),
                queries=cast(Any, None), catalogues=FileCatalogues(), reply_timeout_s=1, sign_in_valid_s=3600,
                clock=china_now)
    return create_app(Gateway(service(deps), database, window_s=300, rate=SLOW, sealer=SEALER,
                              buckets=buckets or PgRateBuckets(lambda: pool)))


async def gateway_app(dsn: str, buckets: RateBuckets | None = None) -> tuple[FastAPI, asyncpg.Pool]:
    """One gateway process's HTTP app: its own pool on the shared database."""
    pool = await create_pool(dsn, max_size=4)
    return app_on(pool, buckets), pool


async def statuses(apps: list[FastAPI], inst: Institution, per_app: int) -> list[httpx.Response]:
    """`per_app` requests sent at once to each app. Each is a 5206 without a sign-in: refused by the
    business rules (HTTP 200) once it has its token, 429 without one; nothing else runs."""
    his = NationalClient("http://unused", inst.fixmedins_code, inst.app_id, inst.app_secret, region="371300")
    clients = [httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") for app in apps]
    try:
        async def send(http: httpx.AsyncClient) -> httpx.Response:
            body = json.dumps(his.envelope("5206", {"data": {"psn_no": "P1", "cum_ym": "202612"}})).encode()
            return await http.post(PATH, content=body, headers=his.headers(body))
        return list(await asyncio.gather(*(send(http) for http in clients for _ in range(per_app))))
    finally:
        for http in clients:
            await http.aclose()
        await his.__aexit__()


async def test_two_gateway_processes_together_admit_an_institution_s_burst_and_no_more(namespace, institution) -> None:
    first, pool_1 = await gateway_app(namespace.dsn("gateway"))
    second, pool_2 = await gateway_app(namespace.dsn("gateway"))
    try:
        answers = await statuses([first, second], institution, per_app=10)
    finally:
        await pool_1.close()
        await pool_2.close()
    admitted = [a for a in answers if a.status_code == 200]
    limited = [a for a in answers if a.status_code == 429]
    assert len(admitted) == BURST and len(limited) == 20 - BURST
    assert all("sign_no" in a.json()["err_msg"] for a in admitted)
    refusal = limited[0]
    assert refusal.json()["infcode"] == -1 and institution.fixmedins_code in refusal.json()["err_msg"]
    assert int(refusal.headers["Retry-After"]) == 100  # a token every 100 s


async def test_buckets_kept_per_process_would_let_each_process_admit_the_whole_burst(namespace, institution) -> None:
    """What the shared bucket replaces: the same requests to two apps that each count alone."""
    first, pool_1 = await gateway_app(namespace.dsn("gateway"), MemoryRateBuckets())
    second, pool_2 = await gateway_app(namespace.dsn("gateway"), MemoryRateBuckets())
    try:
        answers = await statuses([first, second], institution, per_app=10)
    finally:
        await pool_1.close()
        await pool_2.close()
    assert sum(a.status_code == 200 for a in answers) == 2 * BURST


async def test_a_rate_limited_request_writes_nothing_to_its_bucket(namespace, conn, institution) -> None:
    app, pool = await gateway_app(namespace.dsn("gateway"))
    try:
        await statuses([app], institution, per_app=BURST)
        before = await conn.fetchrow("SELECT tokens, updated_at, xmin::text AS version FROM rate_buckets"
                                     " WHERE fixmedins_code = $1", institution.fixmedins_code)
        assert [a.status_code for a in await statuses([app], institution, per_app=3)] == [429] * 3
    finally:
        await pool.close()
    after = await conn.fetchrow("SELECT tokens, updated_at, xmin::text AS version FROM rate_buckets"
                                " WHERE fixmedins_code = $1", institution.fixmedins_code)
    assert after == before and 0 <= before["tokens"] < 1


async def test_a_gateway_that_cannot_reach_its_database_answers_503_with_when_to_send_again(institution) -> None:
    nobody = "postgresql://gateway:x@127.0.0.1:9/gateway"  # the discard port: nothing listens
    pool = await asyncpg.create_pool(nobody, min_size=0, max_size=1)
    app = app_on(pool)
    try:
        [answer] = await statuses([app], institution, per_app=1)
    finally:
        await pool.close()
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
    assert answer.json()["infcode"] == -1 and "cannot reach its database" in answer.json()["err_msg"]


class LosesItsDatabase(GatewayService):
    async def handle(self, call: Any) -> Any:
        raise asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation")


async def test_a_database_lost_during_the_transaction_is_answered_503_with_the_same_msgid_to_send(
        namespace, institution) -> None:
    pool = await create_pool(namespace.dsn("gateway"), max_size=2)
    app = app_on(pool, service=LosesItsDatabase)
    his = NationalClient("http://unused", institution.fixmedins_code, institution.app_id, institution.app_secret,
                         region="371300")
    body = json.dumps(his.envelope("9001", {"signIn": {"opter_no": "0007"}})).encode()
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as http:
            answer = await http.post(PATH, content=body, headers=his.headers(body))
    finally:
        await pool.close()
        await his.__aexit__()
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
    assert "the same msgid" in answer.json()["err_msg"]
