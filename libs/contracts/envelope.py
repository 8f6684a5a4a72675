"""The one versioned envelope every message on every topic travels in.

On the wire: a JSON object whose `payload` is a JSON object (never a JSON string inside JSON).
Payload models declare their `event_type` and `schema_version`; older versions are brought up to date
by explicit upcasters registered beside the model (see `libs.contracts.registry`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from libs.contracts.bounds import text

EventType = text(80, min_length=1)
Producer = text(64, min_length=1)
CorrelationId = text(128, min_length=1)
CausationId = text(64)


class Payload(BaseModel):
    """Base of every event and command payload: small, frozen, strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1


P = TypeVar("P", bound=Payload)


class Envelope(BaseModel, Generic[P]):
    """Metadata shared by every message, with its typed payload."""

    model_config = ConfigDict(frozen=True)

    event_id: uuid.UUID = Field(description="Unique id of this message; consumers record it to ignore redeliveries.")
    event_type: EventType = Field(description="Name of the payload type, e.g. `ClaimSubmitted`.")
    schema_version: int = Field(ge=1, le=1000, description="Version of the payload schema for this event type.")
    occurred_at: datetime = Field(description="When the fact happened or the command was issued (UTC, ISO 8601).")
    producer: Producer = Field(description="The system that wrote the message: a service name or a hospital's code.")
    correlation_id: CorrelationId = Field(description="The business id that ties a flow together: the claim id or transfer id.")
    causation_id: CausationId | None = Field(default=None, description="The event_id of the message that caused this one.")
    payload: P = Field(description="The event or command itself.")


class RawEnvelope(BaseModel):
    """An envelope whose payload has not been typed yet (first step of decoding)."""

    event_id: uuid.UUID
    event_type: EventType
    schema_version: int = Field(ge=1, le=1000)
    occurred_at: datetime
    producer: Producer
    correlation_id: CorrelationId
    causation_id: CausationId | None = None
    payload: dict[str, Any]


@lru_cache(maxsize=None)
def envelope_type(model: type[Payload]) -> type[Envelope[Any]]:
    """`Envelope[model]`, built once per payload type (pydantic builds a class per parametrization)."""
    return Envelope[model]  # type: ignore[valid-type]


def new_envelope(
    payload: P, *, producer: str, correlation_id: str, causation_id: str | None = None,
    event_id: uuid.UUID | None = None, occurred_at: datetime | None = None,
) -> Envelope[P]:
    """Wrap an already-validated payload; the metadata is generated here, so nothing is re-validated."""
    return envelope_type(type(payload)).model_construct(
        event_id=event_id or uuid.uuid4(),
        event_type=payload.event_type,
        schema_version=payload.schema_version,
        occurred_at=occurred_at or datetime.now(UTC),
        producer=producer,
        correlation_id=correlation_id,
        causation_id=causation_id,
        payload=payload,
    )
