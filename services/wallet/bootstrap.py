"""The one place that wires wallet's settings, runtime, adapters, handlers, subscribers and HTTP API."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import asyncpg
from faststream import FastStream
from pydantic import Field

from libs.logging import configure
from libs.messaging.dead_letter_api import mount_dead_letters
from libs.messaging.ports import Transaction
from libs.messaging.postgres import PgTransaction
from libs.messaging.runtime import ServiceRuntime
from libs.settings import ServiceSettings
from services.wallet.adapters.book import PostgresWalletBook
from services.wallet.adapters.claims_run import PostgresClaimRun
from services.wallet.adapters.persons import PostgresPersons
from services.wallet.domain import WalletPolicy
from services.wallet.entrypoints import consumers, http
from services.wallet.service_layer.handlers import Clock, WalletHandlers, utc_now

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


class WalletSettings(ServiceSettings):
    service_name: str = "wallet"
    http_port: int | None = Field(default=8103, alias="WALLET_HTTP_PORT")


def _conn(tx: Transaction) -> asyncpg.Connection:
    """The connection of the runtime's Postgres transaction (the only place that knows it holds one)."""
    return cast(PgTransaction, tx).conn


def bootstrap(settings: WalletSettings | None = None, *, policy: WalletPolicy | None = None,
              clock: Clock = utc_now) -> tuple[ServiceRuntime, FastStream]:
    """`policy` and `clock` default to the national rules and the real time; tests pass their own."""
    settings = settings or WalletSettings()
    configure(settings.service_name, settings.log_level)
    runtime = ServiceRuntime(settings, MIGRATIONS)
    handlers = WalletHandlers(lambda tx: PostgresWalletBook(_conn(tx)), lambda tx: PostgresPersons(_conn(tx)),
                              policy=policy or WalletPolicy(), clock=clock,
                              claim_run_for=lambda tx: PostgresClaimRun(_conn(tx)))
    consumers.register(runtime, handlers)
    runtime.serve_http(mount_dead_letters(http.create_app(runtime.database, handlers), runtime))
    return runtime, runtime.app()
