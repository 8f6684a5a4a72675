"""Wallet's subscribers: thin; each topic's batches go to the runtime with a handler table."""

from __future__ import annotations

from libs.audit.commands import audited
from libs.contracts.topics import CLAIMS_ADJUDICATED, ENROLLMENT_EVENTS, WALLET_COMMANDS
from libs.messaging.runtime import ServiceRuntime
from services.wallet.service_layer.handlers import WalletHandlers


def register(runtime: ServiceRuntime, handlers: WalletHandlers) -> None:
    runtime.consume(CLAIMS_ADJUDICATED, handlers.claims_table(), batch=handlers.claims_batch_table())
    runtime.consume(WALLET_COMMANDS, audited(handlers.commands_table(), WALLET_COMMANDS))
    runtime.consume(ENROLLMENT_EVENTS, handlers.enrollment_table())
