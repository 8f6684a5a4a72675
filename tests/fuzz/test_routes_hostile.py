"""Hostile values at every HTTP route of every service: an answer below 500, never an exception.

Each service's FastAPI application is built as its bootstrap builds it (wallet and settlement on
the real Postgres, enrollment and clearing over their fakes). Authentication is not what is tested
here: whatever dependency of `libs.auth` a route declares is overridden to let an operator in, so
the hostile value reaches the route's own validation (`authorised`).
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from libs.db.migrations import migrate
from libs.messaging import postgres
from libs.messaging.consumer import RetryPolicy
from libs.messaging.fakes import FakeDatabase

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(importlib.util.find_spec("libs.auth") is None,
                       reason="the HTTP boundary (libs/auth, libs/http.py) lands with the http-auth branch: "
                              "this fuzz runs against the authenticated apps"),
]

SEGMENTS = ["%00", "a%00b", "%ED%A0%80", "%FF%FE", "1E%2B999997", "Infinity", "NaN", "-1", "0", "99999999999999999999999",
            "..%2F..%2Fetc", "x" * 3000, "%EF%BC%91%EF%BC%92", "%C2%B2", "430100", "national", "2026-02-30", " "]
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.sampled_from(["\x00", "\ud800", "1E+999997", "Infinity", "１２３", "²", "x" * 20_000, "2026-13-45", "-0"]),
)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                              max_size=4), max_leaves=12)


def authorised(app: FastAPI) -> FastAPI:
    """Let every request in as an operator: each dependency from `libs.auth` is overridden."""
    try:
        from libs.auth import Principal, Role  # type: ignore[import-not-found]
    except ImportError:  # no authentication in this tree yet: nothing to override
        return app
    operator = Principal("fuzz", Role.operator, None, None, None)

    def visit(dependant: Any) -> None:
        for dep in dependant.dependencies:
            if getattr(dep.call, "__module__", "").startswith("libs.auth"):
                app.dependency_overrides[dep.call] = lambda: operator
            visit(dep)

    for route in app.routes:
        if isinstance(route, APIRoute):
            visit(route.dependant)
    return app


async def pg_pool(dsn: str, migrations: dict[str, Any]) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4)
    async with pool.acquire() as conn:
        await migrate(conn, migrations)
    return pool


@pytest.fixture(scope="module")
async def apps(namespace) -> AsyncIterator[dict[str, FastAPI]]:
    from services.clearing.domain import MONTHLY
    from services.clearing.entrypoints.http import create_app as clearing_app
    from services.clearing.service_layer.service import ClearingService
    from services.clearing.tests.unit.builders import at
    from services.clearing.tests.unit.fakes import Clock, FakeSettlementRecords, InMemoryClearingRepository
    from services.enrollment.entrypoints.http import create_app as enrollment_app
    from services.enrollment.tests.unit.service_kit import JUNE_2026, Office
    from services.settlement import bootstrap as settlement
    from services.settlement.entrypoints.http import create_app as settlement_app
    from services.settlement.service_layer.adjudication import PolicyEngine
    from services.settlement.service_layer.handlers import SettlementHandlers
    from services.wallet import bootstrap as wallet
    from services.wallet.adapters.book import PostgresWalletBook
    from services.wallet.adapters.claims_run import PostgresClaimRun
    from services.wallet.adapters.persons import PostgresPersons
    from services.wallet.entrypoints.http import create_app as wallet_app
    from services.wallet.service_layer.handlers import WalletHandlers

    repo = InMemoryClearingRepository()
    clearing = ClearingService(FakeDatabase(), lambda conn, *, locks: repo, FakeSettlementRecords(), clock=Clock(at(1, 10)),
                               calendar=MONTHLY, retry=RetryPolicy(attempts=2, first_delay=0.0))
    office = Office()
    wallet_pool = await pg_pool(namespace.dsn("wallet"), {"messaging": postgres.MIGRATIONS, "wallet": wallet.MIGRATIONS})
    settlement_pool = await pg_pool(namespace.dsn("settlement"),
                                    {"messaging": postgres.MIGRATIONS, "settlement": settlement.MIGRATIONS})
    handlers = WalletHandlers(lambda tx: PostgresWalletBook(tx.conn), lambda tx: PostgresPersons(tx.conn),
                              claim_run_for=lambda tx: PostgresClaimRun(tx.conn))
    yield {
        "clearing": authorised(clearing_app(clearing)),
        "enrollment": authorised(enrollment_app(office.service, office.db, clock=lambda: JUNE_2026)),
        "wallet": authorised(wallet_app(postgres.PgDatabase(wallet_pool), handlers)),
        "settlement": authorised(settlement_app(SimpleNamespace(pool=settlement_pool),  # type: ignore[arg-type]
                                                SettlementHandlers(PolicyEngine.load()))),
    }
    await wallet_pool.close()
    await settlement_pool.close()


def body_fields(route: APIRoute) -> list[str]:
    field = route.body_field
    model = getattr(field, "type_", None) if field is not None else None
    return list(getattr(model, "model_fields", {})) if model is not None else []


async def hit(app: FastAPI, route: APIRoute, method: str, segment: str, query: dict[str, Any], body: Any) -> int:
    path = route.path_format
    for name in route.param_convertors:
        path = path.replace("{" + name + "}", segment)
    content = json.dumps(body, allow_nan=True).encode("utf-8", "surrogatepass") if route.body_field is not None else None
    if query:  # percent-encoded by hand: a lone surrogate goes as the bytes a careless client would send
        path += "?" + "&".join(f"{quote(k)}={quote(str(v).encode('utf-8', 'surrogatepass'))}" for k, v in query.items())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://fuzz") as client:
        response = await client.request(method, path, content=content, headers={"content-type": "application/json"})
    return response.status_code


@pytest.mark.parametrize("service", ["clearing", "enrollment", "wallet", "settlement"])
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
async def test_no_hostile_request_to_any_route_gets_a_500(apps, service, data) -> None:
    app = apps[service]
    api_routes = [r for r in app.routes if isinstance(r, APIRoute) and not r.path.startswith(("/docs", "/openapi"))]
    route = data.draw(st.sampled_from(api_routes), label="route")
    method = data.draw(st.sampled_from(sorted(route.methods)), label="method")
    segment = data.draw(st.sampled_from(SEGMENTS), label="path segment")
    query = data.draw(st.dictionaries(st.sampled_from([p.alias for p in route.dependant.query_params] or ["x"]),
                                      SCALARS, max_size=3), label="query")
    fields = body_fields(route)
    body = data.draw(st.fixed_dictionaries({}, optional={f: VALUES for f in fields}) if fields else VALUES, label="body")
    status = await hit(app, route, method, segment, query, body)
    assert status < 500, (route.path, method, segment, query, body)


@pytest.mark.parametrize("service", ["clearing", "enrollment", "wallet", "settlement"])
async def test_every_route_answers_the_classic_poisons_below_500(apps, service) -> None:
    app = apps[service]
    for route in [r for r in app.routes if isinstance(r, APIRoute) and not r.path.startswith(("/docs", "/openapi"))]:
        for method in sorted(route.methods):
            for segment in ("%00", "%ED%A0%80", "1E%2B999997", "x" * 3000):
                for body in ({f: "\x00" for f in body_fields(route)}, {f: "1E+999997" for f in body_fields(route)},
                             {f: float("inf") for f in body_fields(route)}, [], "\ud800"):
                    status = await hit(app, route, method, segment, {p.alias: segment for p in route.dependant.query_params},
                                       body)
                    assert status < 500, (route.path, method, segment, body)
