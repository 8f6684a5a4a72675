"""The one place that wires settlement's settings, runtime, stores, handlers and subscribers together."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

import asyncpg
from faststream import FastStream
from pydantic import Field

from libs.contracts import claims as c
from libs.logging import configure
from libs.messaging.dead_letter_api import mount_dead_letters
from libs.messaging.ports import Transaction
from libs.messaging.postgres import PgTransaction
from libs.messaging.runtime import ServiceRuntime
from libs.settings import ServiceSettings
from services.settlement.adapters.claim_store import RunClaimStore
from services.settlement.adapters.store import PgSettlementStore
from services.settlement.entrypoints import consumers, http
from services.settlement.service_layer.adjudication import PolicyEngine
from services.settlement.service_layer.handlers import SettlementHandlers
from services.settlement.service_layer.reimbursement import ReimbursementHandlers

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


class SettlementSettings(ServiceSettings):
    service_name: str = "settlement"
    http_port: int | None = Field(default=8102, alias="SETTLEMENT_HTTP_PORT")


class PgStores:
    """Settlement's store port on the runtime's Postgres transactions and pool (the only place that
    knows a transaction holds a connection)."""

    def __init__(self, runtime: ServiceRuntime | None = None) -> None:
        self.runtime = runtime  # its pool serves `reading`; absent, only transactions' stores are made

    def one(self, tx: Transaction) -> PgSettlementStore:
        return PgSettlementStore(cast(PgTransaction, tx).conn)

    async def run(self, tx: Transaction, claims: Iterable[c.ClaimSubmitted]) -> RunClaimStore:
        return await RunClaimStore.load(cast(PgTransaction, tx).conn, claims)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[PgSettlementStore]:
        assert self.runtime is not None and self.runtime.pool is not None, "reading needs the started runtime's pool"
        async with self.runtime.pool.acquire() as conn:
            yield PgSettlementStore(cast(asyncpg.Connection, conn))  # a pooled connection is one


def handlers(engine: PolicyEngine | None = None, runtime: ServiceRuntime | None = None) -> SettlementHandlers:
    return SettlementHandlers(engine or PolicyEngine.load(), PgStores(runtime))


def bootstrap(settings: SettlementSettings | None = None,
              http_overrides: dict[Any, Any] | None = None) -> tuple[ServiceRuntime, FastStream]:
    """`http_overrides`: FastAPI dependency overrides (tests stand in for the token check with them)."""
    settings = settings or SettlementSettings()
    configure(settings.service_name, settings.log_level)
    runtime = ServiceRuntime(settings, MIGRATIONS)
    settlement = handlers(runtime=runtime)
    reimbursements = ReimbursementHandlers(settlement)
    consumers.register(runtime, settlement, reimbursements)
    app = http.create_app(runtime, settlement)
    app.dependency_overrides.update(http_overrides or {})
    runtime.serve_http(mount_dead_letters(app, runtime))
    return runtime, runtime.app()
