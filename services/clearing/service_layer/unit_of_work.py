"""What one database transaction gives a handler: the store, the outbox, and the moment it runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from libs.contracts.envelope import Envelope, Payload
from libs.contracts.topics import CLEARING_EVENTS
from libs.messaging.emit import emit
from libs.messaging.ports import Transaction
from services.clearing.domain import ClearingRepository, CycleCalendar

PRODUCER = "clearing"


@dataclass
class UnitOfWork:
    tx: Transaction
    repo: ClearingRepository
    now: datetime
    calendar: CycleCalendar
    causation: Envelope[Any] | None = None

    def emit(self, key: str, payload: Payload) -> None:
        """Queue a clearing fact on `clearing.events`; it is published only if the transaction commits."""
        emit(self.tx, CLEARING_EVENTS, key, payload, producer=PRODUCER, correlation_id=key, causation=self.causation)
