"""Handlers are registered in one explicit table per service: payload type -> coroutine."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from libs.contracts.envelope import Envelope, Payload
from libs.messaging.ports import Handler, Transaction

HandlerTable = Mapping[type[Payload], Callable[[Transaction, Envelope[Any]], Awaitable[None]]]


def dispatcher(table: HandlerTable) -> tuple[Handler, frozenset[str]]:
    """One runtime handler for a topic, and the event types it accepts (anything else is dead-lettered)."""
    by_name = {model.event_type: handler for model, handler in table.items()}

    async def handle(tx: Transaction, envelope: Envelope[Any]) -> None:
        await by_name[envelope.event_type](tx, envelope)

    return handle, frozenset(by_name)
