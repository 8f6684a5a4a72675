"""Clearing's subscribers: thin; each topic's batches go to the runtime with a handler table."""

from __future__ import annotations

from libs.contracts.topics import CLAIMS_OUTCOMES
from libs.messaging.runtime import ServiceRuntime
from services.clearing.service_layer.handlers import ClearingHandlers


def register(runtime: ServiceRuntime, handlers: ClearingHandlers) -> None:
    runtime.consume(CLAIMS_OUTCOMES, handlers.outcomes_table())
