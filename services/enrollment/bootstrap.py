"""The one place that wires enrollment's settings, runtime, handlers and subscribers together."""

from __future__ import annotations

from pathlib import Path

from faststream import FastStream

from libs.logging import configure
from libs.messaging.runtime import ServiceRuntime
from libs.settings import ServiceSettings
from services.enrollment.entrypoints import consumers
from services.enrollment.service_layer.handlers import EnrollmentHandlers

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


class EnrollmentSettings(ServiceSettings):
    service_name: str = "enrollment"


def bootstrap(settings: EnrollmentSettings | None = None) -> tuple[ServiceRuntime, FastStream]:
    settings = settings or EnrollmentSettings()
    configure(settings.service_name, settings.log_level)
    runtime = ServiceRuntime(settings, MIGRATIONS)
    consumers.register(runtime, EnrollmentHandlers())
    return runtime, runtime.app()
