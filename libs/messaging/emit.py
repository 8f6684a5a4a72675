"""Building outgoing messages: a typed payload wrapped in the envelope and queued in the outbox."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from libs.contracts.envelope import Envelope, Payload, new_envelope
from libs.contracts.registry import encode
from libs.contracts.topics import Topic
from libs.messaging.ports import Transaction
from libs.messaging.records import OutgoingMessage
from libs.observability.tracing import headers_for


def outgoing(topic: Topic, key: str, envelope: Envelope[Any], headers: Mapping[str, str] | None = None) -> OutgoingMessage:
    """The record of an envelope. Every record carries its `event_type` as a header, so a consumer can
    pass over the types it has no use for without decoding them; `headers` adds routing facts."""
    return OutgoingMessage(topic=topic.name, key=key, event_id=str(envelope.event_id), value=encode(envelope),
                           headers={"event_type": envelope.event_type, **(headers or {})})


def emit(
    tx: Transaction, topic: Topic, key: str, payload: Payload, *,
    producer: str, correlation_id: str, causation: Envelope[Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Envelope[Any]:
    """Queue `payload` on `topic` in the current transaction's outbox; return its envelope."""
    envelope = new_envelope(
        payload, producer=producer, correlation_id=correlation_id,
        causation_id=str(causation.event_id) if causation else None,
    )
    # with the trace context the causing message carried (libs/observability/tracing.py)
    tx.publish(outgoing(topic, key, envelope, {**headers_for(causation), **(headers or {})}))
    return envelope
