"""Enrollment's subscribers: thin; each topic's batches go to the runtime with a handler table."""

from __future__ import annotations

from libs.contracts.topics import ENROLLMENT_COMMANDS
from libs.messaging.runtime import ServiceRuntime
from services.enrollment.service_layer.handlers import EnrollmentHandlers


def register(runtime: ServiceRuntime, handlers: EnrollmentHandlers) -> None:
    runtime.consume(ENROLLMENT_COMMANDS, handlers.commands_table())
