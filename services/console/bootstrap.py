"""The one place that wires the console's settings, runtime, projection, service clients and web app."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Literal

from faststream import FastStream
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from libs.logging import configure
from libs.messaging.dead_letter_api import mount_dead_letters
from libs.messaging.runtime import ServiceRuntime
from libs.settings import ServiceSettings, prometheus_url, service_url
from services.console.adapters.auth import CANNOT_SIGN, Principal, Role, issue_token
from services.console.adapters.login_attempts import PgLoginAttempts
from services.console.adapters.reference import large_equipment_codes
from services.console.adapters.retention import ProjectionPurger
from services.console.adapters.services import ServicesClient
from services.console.adapters.users import console_users
from services.console.domain.login_throttle import ThrottlePolicy
from services.console.entrypoints import consumers
from services.console.entrypoints.http import create_app
from services.console.service_layer.actions import Actions
from services.console.service_layer.pages import Pages
from services.console.service_layer.sign_in import SignIn

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


class ConsoleSettings(ServiceSettings):
    model_config = SettingsConfigDict(populate_by_name=True)

    service_name: str = "console"
    http_port: int | None = Field(default=8100, alias="CONSOLE_HTTP_PORT")
    # The services the console watches; each at <NAME>_URL, else 127.0.0.1:<NAME>_HTTP_PORT (service_url).
    watched: str = Field(default="enrollment,settlement,wallet,clearing,gateway", alias="CONSOLE_SERVICES")
    enrollment_url: str | None = Field(default=None, alias="ENROLLMENT_URL")
    settlement_url: str | None = Field(default=None, alias="SETTLEMENT_URL")
    wallet_url: str | None = Field(default=None, alias="WALLET_URL")
    clearing_url: str | None = Field(default=None, alias="CLEARING_URL")
    gateway_url: str | None = Field(default=None, alias="GATEWAY_URL")
    # PROMETHEUS_URL, else the native stack's Prometheus at PROMETHEUS_PORT (libs/settings.py: prometheus_url).
    prometheus_url: str = Field(default_factory=prometheus_url, alias="PROMETHEUS_URL")
    session_ttl_s: int = Field(default=8 * 3600, ge=60, alias="CONSOLE_SESSION_TTL_S")
    refresh_ms: int = Field(default=3000, ge=500, alias="CONSOLE_REFRESH_MS")
    supervision_refresh_s: int = Field(default=30, ge=0, alias="CONSOLE_SUPERVISION_REFRESH_S")
    # > the supervision rules' longest look back (90 days of traceability codes)
    retention_days: int = Field(default=95, ge=31, alias="CONSOLE_RETENTION_DAYS")
    # Sign-in lockout (docs/security.md): failures in the window of one user name from one client address,
    # of one address (any names), and of one name from every address (a guess spread over addresses).
    login_max_failures_per_user_address: int = Field(default=5, ge=1, alias="CONSOLE_LOGIN_MAX_FAILURES_PER_USER_ADDRESS")
    login_max_failures_per_address: int = Field(default=20, ge=1, alias="CONSOLE_LOGIN_MAX_FAILURES_PER_ADDRESS")
    login_max_failures_per_user: int = Field(default=50, ge=1, alias="CONSOLE_LOGIN_MAX_FAILURES_PER_USER")
    login_window_s: int = Field(default=900, ge=10, alias="CONSOLE_LOGIN_WINDOW_S")
    # The session cookie's Secure flag: auto (on, but for plain HTTP at a loopback address), on, off.
    cookie_secure: Literal["auto", "on", "off"] = Field(default="auto", alias="CONSOLE_COOKIE_SECURE")


def service_urls(settings: ConsoleSettings, environ: Mapping[str, str]) -> dict[str, str]:
    return {name: getattr(settings, f"{name}_url", None) or service_url(name, environ)
            for name in filter(None, (n.strip() for n in settings.watched.split(",")))}


class ServiceToken:
    """The console's own token for reading the services, issued when first needed and renewed before
    it expires; None while no signing key is configured (the services then answer 401, shown as such)."""

    TTL_S = 3600

    def __init__(self) -> None:
        self._token: str | None = None
        self._renew_at = 0.0

    def __call__(self) -> str | None:
        if self._token is None or time.monotonic() >= self._renew_at:
            try:
                self._token = issue_token(Principal("console", Role.service), ttl_s=self.TTL_S)
            except CANNOT_SIGN:
                return None
            self._renew_at = time.monotonic() + self.TTL_S / 2
        return self._token


def bootstrap(settings: ConsoleSettings | None = None) -> tuple[ServiceRuntime, FastStream]:
    settings = settings or ConsoleSettings()
    configure(settings.service_name, settings.log_level)
    runtime = ServiceRuntime(settings, MIGRATIONS)
    consumers.register(runtime)
    services = ServicesClient(service_urls(settings, os.environ), ServiceToken())

    def pool():
        assert runtime.pool is not None, "the console's pool is used before start-up"
        return runtime.pool

    pages = Pages(pool, services, settings.prometheus_url, large_equipment_codes(),
                  supervision_every=timedelta(seconds=settings.supervision_refresh_s))
    throttle = ThrottlePolicy(per_username_address=settings.login_max_failures_per_user_address,
                              per_address=settings.login_max_failures_per_address,
                              per_username=settings.login_max_failures_per_user,
                              window=timedelta(seconds=settings.login_window_s))
    app = create_app(pages, Actions(pool, services), SignIn(PgLoginAttempts(pool), console_users, throttle),
                     session_ttl_s=settings.session_ttl_s, refresh_ms=settings.refresh_ms,
                     cookie_secure=settings.cookie_secure)
    runtime.serve_http(mount_dead_letters(app, runtime))

    purger = ProjectionPurger(timedelta(days=settings.retention_days), every_s=3600)

    async def start(_: ServiceRuntime) -> None:
        purger.start(pool())

    async def close(_: ServiceRuntime) -> None:
        await purger.stop()
        await services.close()

    runtime.on_started.append(start)
    runtime.on_stopping.append(close)
    return runtime, runtime.app()
