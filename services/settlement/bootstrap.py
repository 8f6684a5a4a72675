"""The one place that wires settlement's settings, runtime, handlers and subscribers together."""

from __future__ import annotations

from pathlib import Path

from faststream import FastStream
from pydantic import Field

from libs.logging import configure
from libs.messaging.dead_letter_api import mount_dead_letters
from libs.messaging.runtime import ServiceRuntime
from libs.settings import ServiceSettings
from services.settlement.entrypoints import consumers, http
from services.settlement.service_layer.adjudication import PolicyEngine
from services.settlement.service_layer.handlers import SettlementHandlers

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


class SettlementSettings(ServiceSettings):
    service_name: str = "settlement"
    http_port: int | None = Field(default=8102, alias="SETTLEMENT_HTTP_PORT")


def bootstrap(settings: SettlementSettings | None = None) -> tuple[ServiceRuntime, FastStream]:
    settings = settings or SettlementSettings()
    configure(settings.service_name, settings.log_level)
    runtime = ServiceRuntime(settings, MIGRATIONS)
    handlers = SettlementHandlers(PolicyEngine.load())
    consumers.register(runtime, handlers)
    runtime.serve_http(mount_dead_letters(http.create_app(runtime, handlers), runtime))
    return runtime, runtime.app()
