"""The one place that wires clearing's settings, runtime, handlers and subscribers together."""

from __future__ import annotations

from pathlib import Path

from faststream import FastStream

from libs.logging import configure
from libs.messaging.runtime import ServiceRuntime
from libs.settings import ServiceSettings
from services.clearing.entrypoints import consumers
from services.clearing.service_layer.handlers import ClearingHandlers

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


class ClearingSettings(ServiceSettings):
    service_name: str = "clearing"


def bootstrap(settings: ClearingSettings | None = None) -> tuple[ServiceRuntime, FastStream]:
    settings = settings or ClearingSettings()
    configure(settings.service_name, settings.log_level)
    runtime = ServiceRuntime(settings, MIGRATIONS)
    consumers.register(runtime, ClearingHandlers())
    return runtime, runtime.app()
