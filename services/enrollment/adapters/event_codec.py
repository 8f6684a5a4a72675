"""Domain events to JSON and back, for the person's stored event stream.

Every event dataclass round-trips through pydantic's TypeAdapter (enums by value, dates in ISO form,
tuples as lists); a stored row is decoded straight from its JSON text. The stored type name is the
class name; a renamed or reshaped event needs an upcaster here before old rows can be read again.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import TypeAdapter

from services.enrollment.domain import events as e


def _all_event_types() -> dict[str, type[e.Event]]:
    found: dict[str, type[e.Event]] = {}
    pending = list(e.Event.__subclasses__())
    while pending:
        cls = pending.pop()
        found[cls.__name__] = cls
        pending.extend(cls.__subclasses__())
    return found


EVENT_TYPES = _all_event_types()


@cache
def _adapter(event_type: type[e.Event]) -> TypeAdapter[Any]:
    return TypeAdapter(event_type)


def encode_event(event: e.Event) -> tuple[str, dict[str, Any]]:
    return type(event).__name__, _adapter(type(event)).dump_python(event, mode="json")


def decode_event(event_type: str, data: str | bytes) -> e.Event:
    """The event from its stored JSON text, parsed and validated in one pass."""
    try:
        cls = EVENT_TYPES[event_type]
    except KeyError:
        raise ValueError(f"stored event type {event_type!r} is unknown to this version of the service") from None
    return _adapter(cls).validate_json(data)
