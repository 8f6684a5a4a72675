"""`/ready` on a real service runtime: not ready until its consumers are assigned, ready after."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from libs.contracts.topics import CLAIMS_OUTCOMES
from libs.messaging.runtime import ServiceRuntime
from libs.settings import ServiceSettings
from tests.support.stack import free_port

pytestmark = pytest.mark.integration


@pytest.fixture
async def runtime(namespace, tmp_path, monkeypatch):
    monkeypatch.setenv("LAG_EXPORTER", "off")
    # clearing's database, role and Kafka principal; no migrations of its own: the messaging tables only
    settings = ServiceSettings(service_name="clearing", http_port=free_port(), **namespace.env)
    runtime = ServiceRuntime(settings, tmp_path)
    runtime.consume(CLAIMS_OUTCOMES, {})
    from fastapi import FastAPI

    runtime.serve_http(FastAPI())
    yield runtime


async def ready(client: httpx.AsyncClient) -> tuple[int, dict]:
    response = await client.get("/ready")
    return response.status_code, response.json()


async def test_a_service_is_alive_but_not_ready_until_its_consumers_are_assigned(runtime) -> None:
    await runtime.start()  # the pool, the migrations, the HTTP server: what FastStream's start-up runs
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{runtime.settings.http_port}") as client:
            assert (await client.get("/health")).status_code == 200
            status, body = await ready(client)
            assert status == 503
            assert body["checks"] == {"database": True, "migrations": True, "kafka": True, "consumers": False}

            await runtime.broker.start()
            for _ in range(300):
                status, body = await ready(client)
                if status == 200:
                    break
                await asyncio.sleep(0.1)
            assert status == 200, body
            assert body["ready"] is True and all(body["checks"].values())
            await runtime.broker.stop()
    finally:
        await runtime.stop()


async def test_a_service_whose_database_is_gone_is_not_ready(runtime) -> None:
    await runtime.start()
    try:
        runtime.pool.terminate()  # as good as Postgres going away, for this process
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{runtime.settings.http_port}") as client:
            status, body = await ready(client)
        assert status == 503
        assert body["checks"]["database"] is False and body["checks"]["migrations"] is False
    finally:
        await runtime.stop()


async def test_a_service_with_a_migration_not_recorded_as_applied_is_not_ready(runtime) -> None:
    await runtime.start()
    try:
        await runtime.pool.execute("DELETE FROM schema_migrations WHERE namespace = 'messaging'"
                                   " AND version = (SELECT max(version) FROM schema_migrations WHERE namespace = 'messaging')")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{runtime.settings.http_port}") as client:
            status, body = await ready(client)
        assert status == 503
        assert (body["checks"]["database"], body["checks"]["migrations"]) == (True, False)
    finally:
        await runtime.stop()

