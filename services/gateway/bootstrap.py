"""The one place that wires the gateway's settings, runtime, store, outcome listener and HTTP API."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import structlog
from faststream import FastStream
from pydantic import Field

from libs.auth import Principal, Role, issue_token
from libs.china_time import china_now
from libs.hospital.outcomes import OutcomeRouter
from libs.logging import configure
from libs.messaging.connection import client_options
from libs.messaging.runtime import Hook, ServiceRuntime
from libs.pii import Sealer
from libs.settings import ServiceSettings, secret, service_url
from services.gateway.adapters.catalogue import FileCatalogues
from services.gateway.adapters.credentials import PgCredentials, secret_sealer
from services.gateway.adapters.outcomes import OutcomeListener
from services.gateway.adapters.platform_http import PlatformQueries
from services.gateway.adapters.rate_buckets import PgRateBuckets
from services.gateway.adapters.repository import PgGatewayStore
from services.gateway.domain.detail_file import Limits
from services.gateway.domain.rate_limit import RatePolicy
from services.gateway.entrypoints import http
from services.gateway.entrypoints.housekeeping import NoncePurger
from services.gateway.service_layer.deps import Deps
from services.gateway.service_layer.ports import Queries
from services.gateway.service_layer.service import GatewayService

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"
log = structlog.get_logger("gateway")


class GatewaySettings(ServiceSettings):
    service_name: str = "gateway"
    http_port: int | None = Field(default=8105, alias="GATEWAY_HTTP_PORT")
    reply_timeout_s: float = Field(default=10.0, gt=0, alias="GATEWAY_REPLY_TIMEOUT_S")
    signature_window_s: float = Field(default=300.0, gt=0, alias="GATEWAY_SIGNATURE_WINDOW_S")
    # Per institution over all gateway processes (the buckets are in the database): give every process the same.
    rate_per_s: float = Field(default=200.0, gt=0, alias="GATEWAY_RATE_PER_S")
    rate_burst: float = Field(default=400.0, ge=1, alias="GATEWAY_RATE_BURST")
    sign_in_valid_s: float = Field(default=86_400.0, gt=0, alias="GATEWAY_SIGN_IN_VALID_S")
    path_aliases: str = Field(default="", alias="GATEWAY_PATH_ALIASES")
    # Each at <NAME>_URL, else 127.0.0.1:<NAME>_HTTP_PORT (libs/settings.py: service_url).
    enrollment_url: str = Field(default_factory=lambda: service_url("enrollment"), alias="ENROLLMENT_URL")
    wallet_url: str = Field(default_factory=lambda: service_url("wallet"), alias="WALLET_URL")
    settlement_url: str = Field(default_factory=lambda: service_url("settlement"), alias="SETTLEMENT_URL")
    platform_token: str = Field(default="", alias="GATEWAY_PLATFORM_TOKEN")
    file_max_bytes: int = Field(default=4 << 20, ge=1024, alias="GATEWAY_FILE_MAX_BYTES")
    file_max_rows: int = Field(default=200_000, ge=1, alias="GATEWAY_FILE_MAX_ROWS")
    file_keep_s: float = Field(default=3 * 86_400.0, gt=0, alias="GATEWAY_FILE_KEEP_S")
    e_voucher_ttl_s: float = Field(default=300.0, gt=0, le=3600, alias="GATEWAY_E_VOUCHER_TTL_S")
    # Seals the institutions' app secrets at rest (adapters/credentials.py); by default the secrets
    # file's entry of the same name (deploy/secrets.py generates it).
    secret_key: str = Field(default="", alias="GATEWAY_SECRET_KEY", repr=False)

    @property
    def max_body(self) -> int:
        """A request's bytes: a 9101 file at its limit sent as a JSON array of byte values (up to five
        characters a byte, "-128,"), and the envelope around it."""
        return 5 * self.file_max_bytes + (1 << 20)

    def sealer(self) -> Sealer:
        return secret_sealer(self.secret_key or secret("GATEWAY_SECRET_KEY"))


def service_token(settings: GatewaySettings) -> Callable[[], str]:
    """The gateway's credential towards enrollment, the wallet and settlement: the configured token, or
    a fresh 5-minute service token it signs itself (as clearing does)."""
    if settings.platform_token:
        return lambda: settings.platform_token
    return lambda: issue_token(Principal(settings.service_name, Role.service), ttl_s=300)


def seal_at_start(sealer: Sealer) -> Hook:
    """Seal the app secrets an older version stored in clear (or under an older key), before HTTP opens."""
    async def seal(runtime: ServiceRuntime) -> None:
        async with runtime.database.transaction() as tx:
            changed = await PgCredentials(tx.conn, sealer).seal_clear_rows()
        if changed:
            log.info("app_secrets_sealed", institutions=changed)
    return seal


def bootstrap(settings: GatewaySettings | None = None, *, queries: Queries | None = None,
              clock: Callable[[], datetime] = china_now) -> tuple[ServiceRuntime, FastStream]:
    settings = settings or GatewaySettings()
    configure(settings.service_name, settings.log_level)
    runtime = ServiceRuntime(settings, MIGRATIONS)
    router = OutcomeRouter()
    listener = OutcomeListener(settings.kafka_bootstrap, settings.topic_prefix, router,
                               client_options(settings.kafka))  # as the `gateway` principal
    platform = queries or PlatformQueries(settings.enrollment_url, settings.wallet_url, settings.settlement_url,
                                          service_token(settings))
    deps = Deps(database=runtime.database, store_for=lambda tx: PgGatewayStore(tx.conn), router=router,
                queries=platform, catalogues=FileCatalogues(), reply_timeout_s=settings.reply_timeout_s,
                sign_in_valid_s=settings.sign_in_valid_s, clock=clock, e_voucher_ttl_s=settings.e_voucher_ttl_s,
                files=Limits(max_bytes=settings.file_max_bytes, max_rows=settings.file_max_rows,
                             keep_s=settings.file_keep_s))
    sealer = settings.sealer()
    runtime.on_started.insert(0, seal_at_start(sealer))
    gateway = http.Gateway(GatewayService(deps), runtime.database, window_s=settings.signature_window_s,
                           rate=RatePolicy(settings.rate_per_s, settings.rate_burst),
                           buckets=PgRateBuckets(lambda: runtime.database.pool), max_body=settings.max_body,
                           sealer=sealer, aliases=json.loads(settings.path_aliases) if settings.path_aliases else None)
    purger = NoncePurger(runtime.database, settings.signature_window_s)

    async def start(_: ServiceRuntime) -> None:
        await listener.start()  # before HTTP opens: no reply can be missed
        purger.start()

    async def stop(_: ServiceRuntime) -> None:
        await purger.stop()
        await listener.stop()
        if isinstance(platform, PlatformQueries):
            await platform.close()

    runtime.on_started.append(start)
    runtime.serve_http(http.create_app(gateway, runtime))
    runtime.on_stopping.append(stop)
    return runtime, runtime.app()
