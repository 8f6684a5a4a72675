"""Handlers are registered in one explicit table per service: payload type -> coroutine."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from libs.contracts.envelope import Envelope, Payload
from libs.messaging.ports import BatchHandler, Handler, Transaction

HandlerTable = Mapping[type[Payload], Callable[[Transaction, Envelope[Any]], Awaitable[None]]]
BatchTable = Mapping[type[Payload], BatchHandler]


def dispatcher(table: HandlerTable) -> tuple[Handler, frozenset[str]]:
    """One runtime handler for a topic, and the event types it accepts (anything else is dead-lettered)."""
    by_name = {model.event_type: handler for model, handler in table.items()}

    async def handle(tx: Transaction, envelope: Envelope[Any]) -> None:
        await by_name[envelope.event_type](tx, envelope)

    return handle, frozenset(by_name)


def batch_dispatcher(table: BatchTable | None, accepted: frozenset[str]) -> dict[str, BatchHandler]:
    """Batch handlers by event type; each must have a per-message handler too (the runtime's fallback)."""
    by_name = {model.event_type: handler for model, handler in (table or {}).items()}
    missing = set(by_name) - accepted
    if missing:
        raise ValueError(f"batch handlers without a per-message handler: {sorted(missing)}")
    return by_name
