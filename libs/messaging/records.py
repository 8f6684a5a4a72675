"""What a consumer sees of one Kafka record, independent of the client library."""

from __future__ import annotations

from dataclasses import dataclass, field

DLQ_HEADERS = ("dlq.consumer", "dlq.source.topic", "dlq.source.partition", "dlq.source.offset", "dlq.reason")


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...] = field(default=())

    @property
    def position(self) -> str:
        return f"{self.topic}/{self.partition}@{self.offset}"


@dataclass(frozen=True)
class OutgoingMessage:
    """A row of the outbox: what the relay will publish after the transaction commits."""

    topic: str
    key: str
    event_id: str
    value: bytes
    headers: dict[str, str] = field(default_factory=dict)


def dead_letter_message(consumer: str, record: Record, reason: str, dlq_topic: str, event_id: str) -> OutgoingMessage:
    """The original bytes, untouched, with where they came from and why they were parked."""
    return OutgoingMessage(
        topic=dlq_topic,
        key=(record.key or b"").decode("utf-8", "replace"),
        event_id=event_id,
        value=record.value or b"",
        headers=dict(zip(DLQ_HEADERS, (consumer, record.topic, str(record.partition), str(record.offset), reason[:2000]))),
    )
