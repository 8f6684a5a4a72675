"""The one place that wires clearing's settings, runtime, handlers, subscribers, API and schedule together."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

from faststream import FastStream
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from libs.auth import Principal, Role, issue_token
from libs.china_time import china_now
from libs.logging import configure
from libs.messaging.dead_letter_api import mount_dead_letters
from libs.messaging.runtime import ServiceRuntime
from libs.settings import ServiceSettings, service_url
from services.clearing.adapters.repository import PostgresClearingRepository
from services.clearing.adapters.settlement_client import HttpSettlementRecords
from services.clearing.domain import CycleCalendar
from services.clearing.entrypoints import consumers
from services.clearing.entrypoints.http import create_app
from services.clearing.entrypoints.schedule import ClosingSchedule
from services.clearing.service_layer.service import ClearingService, Clock
from services.clearing.service_layer.settlement_records import SettlementRecords

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


class ClearingSettings(ServiceSettings):
    model_config = SettingsConfigDict(populate_by_name=True)

    service_name: str = "clearing"
    http_port: int | None = Field(default=8104, alias="CLEARING_HTTP_PORT")
    # SETTLEMENT_URL, else 127.0.0.1:SETTLEMENT_HTTP_PORT (libs/settings.py: service_url).
    settlement_url: str = Field(default_factory=lambda: service_url("settlement"), alias="SETTLEMENT_URL")
    settlement_timeout_seconds: float = Field(default=30.0, gt=0, alias="SETTLEMENT_TIMEOUT_SECONDS")
    # A service token for settlement's API, if one was issued for this process; otherwise clearing mints a
    # short-lived one itself with AUTH_SIGNING_KEY for each reading (docs/security.md, Who issues tokens).
    settlement_token: str = Field(default="", alias="SETTLEMENT_TOKEN")
    # A cycle lasts `cycle_length` months (aligned on January) or days (aligned on Mondays for weeks).
    cycle_unit: Literal["month", "day"] = Field(default="month", alias="CLEARING_CYCLE_UNIT")
    cycle_length: int = Field(default=1, ge=1, alias="CLEARING_CYCLE_LENGTH")
    # How often the schedule looks for cycles whose period has ended.
    schedule_interval_seconds: float = Field(default=60.0, gt=0, alias="CLEARING_SCHEDULE_INTERVAL_SECONDS")

    @property
    def calendar(self) -> CycleCalendar:
        return CycleCalendar(self.cycle_unit, self.cycle_length)


def service_token(settings: ClearingSettings) -> Callable[[], str]:
    """Clearing's credential towards settlement: the configured token, or a fresh 5-minute one."""
    if settings.settlement_token:
        return lambda: settings.settlement_token
    return lambda: issue_token(Principal(settings.service_name, Role.service), ttl_s=300)


def bootstrap(
    settings: ClearingSettings | None = None, *, clock: Clock = china_now, settlement: SettlementRecords | None = None,
) -> tuple[ServiceRuntime, FastStream]:
    settings = settings or ClearingSettings()
    configure(settings.service_name, settings.log_level)
    runtime = ServiceRuntime(settings, MIGRATIONS)
    service = ClearingService(
        runtime.database, PostgresClearingRepository,
        settlement or HttpSettlementRecords(settings.settlement_url, settings.settlement_timeout_seconds,
                                            token=service_token(settings)),
        clock=clock, calendar=settings.calendar,
    )
    consumers.register(runtime, service)
    runtime.serve_http(mount_dead_letters(create_app(service), runtime))
    ClosingSchedule(service, settings.schedule_interval_seconds).register(runtime)
    return runtime, runtime.app()
