"""The one place that wires settlement's settings, runtime, handlers and subscribers together."""

from __future__ import annotations

from pathlib import Path

from faststream import FastStream

from libs.logging import configure
from libs.messaging.runtime import ServiceRuntime
from libs.settings import ServiceSettings
from services.settlement.entrypoints import consumers
from services.settlement.service_layer.adjudication import Adjudicator
from services.settlement.service_layer.handlers import SettlementHandlers

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


class SettlementSettings(ServiceSettings):
    service_name: str = "settlement"


def bootstrap(settings: SettlementSettings | None = None) -> tuple[ServiceRuntime, FastStream]:
    settings = settings or SettlementSettings()
    configure(settings.service_name, settings.log_level)
    runtime = ServiceRuntime(settings, MIGRATIONS)
    consumers.register(runtime, SettlementHandlers(Adjudicator()))
    return runtime, runtime.app()
