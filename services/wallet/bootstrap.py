"""The one place that wires wallet's settings, runtime, handlers and subscribers together."""

from __future__ import annotations

from pathlib import Path

from faststream import FastStream

from libs.logging import configure
from libs.messaging.runtime import ServiceRuntime
from libs.settings import ServiceSettings
from services.wallet.entrypoints import consumers
from services.wallet.service_layer.handlers import WalletHandlers

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


class WalletSettings(ServiceSettings):
    service_name: str = "wallet"


def bootstrap(settings: WalletSettings | None = None) -> tuple[ServiceRuntime, FastStream]:
    settings = settings or WalletSettings()
    configure(settings.service_name, settings.log_level)
    runtime = ServiceRuntime(settings, MIGRATIONS)
    consumers.register(runtime, WalletHandlers())
    return runtime, runtime.app()
