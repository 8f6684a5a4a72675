"""The console's web app on fakes: users with known passwords, pages and actions that record calls."""

from __future__ import annotations

from typing import Any, cast

import pytest

from services.console.domain.login_throttle import FailureCounts, Failures, ThrottlePolicy
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


class MemoryLoginAttempts:
    """The failed sign-ins, as PgLoginAttempts keeps them, in a list."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, Any]] = []

    async def failures(self, username: str, address: str, since: Any) -> FailureCounts:
        def of(rows: list[Any]) -> Failures:
            return Failures(len(rows), min((r[2] for r in rows), default=None))
        recent = [r for r in self.rows if r[2] > since]
        return FailureCounts(name_at_address=of([r for r in recent if r[:2] == (username, address)]),
                             address=of([r for r in recent if r[1] == address]),
                             name=of([r for r in recent if r[0] == username]))

    async def failed(self, username: str, address: str, at: Any, forget_before: Any) -> None:
        self.rows = [r for r in self.rows if r[2] >= forget_before] + [(username, address, at)]

    async def succeeded(self, username: str, address: str) -> None:
        self.rows = [r for r in self.rows if r[:2] != (username, address)]


@pytest.fixture
def signing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ephemeral_env().items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def console_parts(signing_key: None) -> tuple[FakeServices, FakePool]:
    return FakeServices(), FakePool()


@pytest.fixture
def console_app(console_parts: tuple[FakeServices, FakePool]) -> Any:
    from services.console.adapters.services import ServicesClient
    from services.console.service_layer.actions import Actions
    from services.console.service_layer.pages import Pages
    from services.console.service_layer.sign_in import SignIn

    services, pool = console_parts
    # the fakes have the one page and the one call these tests reach
    return create_app(cast(Pages, FakePages()), Actions(lambda: pool, cast(ServicesClient, services)),
                      SignIn(MemoryLoginAttempts(), lambda: USERS, ThrottlePolicy(per_username_address=3, per_address=5, per_username=6)),
                      session_ttl_s=600, refresh_ms=1000)
