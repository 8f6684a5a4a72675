"""The console's web app on fakes: users with known passwords, pages and actions that record calls."""

from __future__ import annotations

from typing import Any

import pytest

from services.console.domain.operators import ConsoleRole, ConsoleUser
from services.console.entrypoints.http import create_app
from tests.support.tokens import ephemeral_env

USERS = {"operator": ConsoleUser("operator", ConsoleRole.operator, "op-secret"),
         "auditor": ConsoleUser("auditor", ConsoleRole.auditor, "au-secret")}


class FakePages:
    async def overview(self, now: Any, token: str) -> dict[str, Any]:
        return {"at": now.isoformat()}


class FakeServices:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str, str | None]] = []

    async def call(self, service: str, method: str, path: str, *, token: str | None = None, json: Any = None,
                   params: Any = None) -> tuple[int, Any]:
        self.calls.append((service, method, path, token))
        return 200, {"status": "replayed"}


class FakePool:
    def __init__(self) -> None:
        self.rows: list[tuple[Any, ...]] = []

    def acquire(self) -> FakePool:
        return self

    async def __aenter__(self) -> FakePool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def execute(self, _sql: str, *args: Any) -> None:
        self.rows.append(args)


@pytest.fixture
def signing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ephemeral_env().items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def console_parts(signing_key: None) -> tuple[FakeServices, FakePool]:
    return FakeServices(), FakePool()


@pytest.fixture
def console_app(console_parts: tuple[FakeServices, FakePool]) -> Any:
    from services.console.service_layer.actions import Actions

    services, pool = console_parts
    return create_app(FakePages(), Actions(lambda: pool, services), lambda: USERS,  # type: ignore[arg-type]
                      session_ttl_s=600, refresh_ms=1000)
