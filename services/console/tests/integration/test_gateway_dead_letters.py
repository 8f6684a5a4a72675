"""A dead letter of the hospital gateway shows in the console's Dead letters page, on the real gateway,
Postgres and Kafka, asked with the operator's own token as the console asks every service."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from services.console.adapters.services import ServicesClient
from services.console.bootstrap import ConsoleSettings, service_urls
from services.console.service_layer.pages import Pages
from services.gateway.bootstrap import GatewaySettings, bootstrap
from tests.support.auth import bearer
from tests.support.stack import free_port

pytestmark = pytest.mark.integration


async def test_a_gateway_dead_letter_is_listed_and_opened_by_the_console(own_namespace) -> None:
    port = free_port()
    runtime, _ = bootstrap(own_namespace.settings(GatewaySettings, GATEWAY_HTTP_PORT=port))
    await runtime.start()
    token = bearer("operator")["Authorization"].removeprefix("Bearer ")
    services = ServicesClient(service_urls(ConsoleSettings(), {"GATEWAY_HTTP_PORT": str(port)}), lambda: None)
    try:
        conn = await asyncpg.connect(own_namespace.dsn("gateway"))
        try:
            dead = await conn.fetchval(
                'INSERT INTO dead_letters (consumer, topic, partition, "offset", reason, message_id, key, value)'
                " VALUES ('gateway-claims.outcomes', 'claims.outcomes', 0, 7, 'could not be decoded', $1, $2, $3)"
                " RETURNING id", str(uuid.uuid4()), b"P00012345", b"not json")
        finally:
            await conn.close()
        pages = Pages(lambda: None, services, "http://127.0.0.1:9", frozenset())
        listed = await pages.dead_letters("gateway", "open", 50, 0, token)
        assert [(i["service"], i["id"], i["topic"]) for i in listed["items"]] == [("gateway", dead, "claims.outcomes")]
        status, shown = await pages.dead_letter("gateway", dead, token)
        assert status == 200 and shown["message"]["text"] == "not json" and shown["message"]["key"] == "P0*****45"
        everyone = await pages.dead_letters(None, "open", 50, 0, token)
        assert ("gateway", dead) in [(i["service"], i["id"]) for i in everyone["items"]]
    finally:
        await services.close()
        await runtime.stop()
