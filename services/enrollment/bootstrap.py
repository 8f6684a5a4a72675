"""The one place that wires enrollment's settings, runtime, handlers and subscribers together."""

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
from libs.messaging.runtime import Hook, ServiceRuntime
from libs.pii import PiiVault
from libs.settings import ServiceSettings, secret
from services.enrollment.adapters.person_cache import PersonCache
from services.enrollment.adapters.policy_file import load_policy
from services.enrollment.adapters.repository import PgEnrollmentStore
from services.enrollment.adapters.sealing import seal_clear_rows
from services.enrollment.entrypoints import consumers, scheduler
from services.enrollment.entrypoints.http import create_app
from services.enrollment.service_layer.handlers import EnrollmentService, StoreFor

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"
POLICY_FILE = Path(__file__).parent / "policy" / "resident_years.yaml"


class EnrollmentSettings(ServiceSettings):
    service_name: str = "enrollment"
    http_port: int | None = Field(default=8101, alias="ENROLLMENT_HTTP_PORT")
    policy_file: Path = Field(default=POLICY_FILE, alias="ENROLLMENT_POLICY_FILE")
    snapshot_refresh_seconds: float = Field(default=3600.0, alias="ENROLLMENT_SNAPSHOT_REFRESH_SECONDS")
    # Replayed persons kept between transactions (see docs/enrollment.md, "Replaying a person"); 0 turns it off.
    person_cache_size: int = Field(default=10_000, ge=0, alias="ENROLLMENT_PERSON_CACHE_SIZE")
    # ID numbers and names are sealed at rest with these (libs/pii.py); by default the secrets file's
    # entries of the same names (deploy/secrets.py generates them).
    pii_encryption_key: str = Field(default="", alias="PII_ENCRYPTION_KEY", repr=False)
    pii_hash_key: str = Field(default="", alias="PII_HASH_KEY", repr=False)


def pg_stores(vault: PiiVault, cache: PersonCache) -> StoreFor:
    """A store for each transaction, all sharing the process's cache of replayed persons (on the runtime's
    Postgres transactions: the only place that knows the transaction holds a connection)."""
    def store_for(tx: Transaction) -> PgEnrollmentStore:
        return PgEnrollmentStore(cast(PgTransaction, tx).conn, vault, cache)
    return store_for


def seal_at_start(vault: PiiVault) -> Hook:
    """Seal what an older version stored in clear, before the consumers start (adapters/sealing.py)."""
    async def seal(runtime: ServiceRuntime) -> None:
        assert runtime.pool is not None
        async with runtime.pool.acquire() as conn:
            # asyncpg types a pool's connection as a proxy; it forwards every Connection method to one
            await seal_clear_rows(cast(asyncpg.Connection, conn), vault)
    return seal


def bootstrap(settings: EnrollmentSettings | None = None) -> tuple[ServiceRuntime, FastStream]:
    settings = settings or EnrollmentSettings()
    configure(settings.service_name, settings.log_level)
    runtime = ServiceRuntime(settings, MIGRATIONS)
    vault = PiiVault.from_settings(settings.pii_encryption_key or secret("PII_ENCRYPTION_KEY"),
                                   settings.pii_hash_key or secret("PII_HASH_KEY"))
    runtime.on_started.insert(0, seal_at_start(vault))
    service = EnrollmentService(load_policy(settings.policy_file),
                                pg_stores(vault, PersonCache(settings.person_cache_size)))
    consumers.register(runtime, service, vault)
    runtime.serve_http(mount_dead_letters(create_app(service, runtime.database), runtime))
    scheduler.refresh_periodically(runtime, service, settings.snapshot_refresh_seconds)
    return runtime, runtime.app()
