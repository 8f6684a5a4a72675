"""What a consumer sees of one Kafka record, independent of the client library; and its dead letter.

A record can hold anything a client chose to send: NUL bytes, invalid UTF-8, lone surrogates once
decoded, a value near the broker's 1 MiB limit. Dead-lettering it must not fail on any of these, so
what goes into text columns, JSON and Kafka headers is `safe_text` (escaped, never raw), the original
bytes go into `bytea` (dead_letters), and the copy on the dead-letter topic is cut to
`DLQ_VALUE_LIMIT` with the whole value's size and SHA-256 in its headers (docs/architecture.md).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

DLQ_HEADERS = ("dlq.consumer", "dlq.source.topic", "dlq.source.partition", "dlq.source.offset", "dlq.reason")
DLQ_TRUNCATED_HEADERS = ("dlq.truncated", "dlq.value.size", "dlq.value.sha256")

DLQ_VALUE_LIMIT = 256 * 1024
"""Larger values are published cut to this many bytes: the copy, its headers and the key stay well
under the producer's 1 MiB request limit whatever the source record held. The dead_letters table
keeps the whole value."""

KEY_LIMIT = 1024  # characters of a dead letter's key as text (the bytes are kept whole in the table)
REASON_LIMIT = 2000


def safe_text(value: bytes | str | None, limit: int = REASON_LIMIT) -> str:
    """Text that Postgres `text`, `jsonb` and a Kafka header all accept: valid UTF-8 without NUL.

    Invalid bytes and lone surrogates become backslash escapes, NUL becomes the four characters
    `\\x00`; the result is cut to `limit` characters.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        text = value.encode("utf-8", "backslashreplace").decode("utf-8") if not value.isascii() else value
    else:
        text = value.decode("utf-8", "backslashreplace")
    if "\x00" in text:
        text = text.replace("\x00", "\\x00")
    return text[:limit]


def value_digest(value: bytes | None) -> bytes:
    """A short digest of a record's value: the inbox keeps it to tell a redelivery from a conflict."""
    return hashlib.blake2b(value or b"", digest_size=16).digest()


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

    def safe_headers(self) -> dict[str, str]:
        """The record's headers as escaped text (for a jsonb column); a repeated name keeps the last."""
        return {safe_text(k, 200): safe_text(v, REASON_LIMIT) for k, v in self.headers}


@dataclass(frozen=True)
class OutgoingMessage:
    """A row of the outbox: what the relay will publish after the transaction commits."""

    topic: str
    key: str
    event_id: str
    value: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DeadLetter:
    """A record parked by a consumer: the row of `dead_letters` and its copy for the dead-letter topic.

    `message_id` is the inbox id the record claimed in this transaction, given back so that the same
    bytes published again (a replay after a fix) are processed, not skipped as a duplicate; None when
    the id belongs to an earlier message (a conflict) and must stay.
    """

    consumer: str
    record: Record
    reason: str
    message: OutgoingMessage
    message_id: str | None = None

    @property
    def row(self) -> tuple[object, ...]:
        """The `dead_letters` row: every text escaped, the bytes as they came."""
        r = self.record
        value = r.value
        return (safe_text(self.consumer, 200), safe_text(r.topic, 300), r.partition, r.offset, safe_text(self.reason),
                safe_text(self.message_id, 200) if self.message_id else None, r.key, value,
                r.safe_headers(), len(value) if value is not None else None,
                hashlib.sha256(value).hexdigest() if value is not None else None)


def dead_letter_message(consumer: str, record: Record, reason: str, dlq_topic: str, event_id: str) -> OutgoingMessage:
    """The original bytes with where they came from and why they were parked (cut if too large)."""
    value = record.value or b""
    headers = dict(zip(DLQ_HEADERS, (safe_text(consumer, 200), safe_text(record.topic, 300), str(record.partition),
                                     str(record.offset), safe_text(reason))))
    if len(value) > DLQ_VALUE_LIMIT:
        headers.update(zip(DLQ_TRUNCATED_HEADERS, ("true", str(len(value)), hashlib.sha256(value).hexdigest())))
        value = value[:DLQ_VALUE_LIMIT]
    return OutgoingMessage(topic=dlq_topic, key=safe_text(record.key, KEY_LIMIT), event_id=event_id, value=value,
                           headers=headers)
