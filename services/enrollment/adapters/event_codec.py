"""Domain events to JSON and back, for the person's stored event stream.

Every event dataclass round-trips through pydantic's TypeAdapter (enums by value, dates in ISO form,
tuples as lists); a stored row is decoded straight from its JSON text. The stored type name is the
class name; a renamed or reshaped event needs an upcaster here before old rows can be read again.

The personal data an event carries (`PERSONAL_FIELDS`: the ID number and name of `PersonRegistered`)
is sealed in the stored JSON (libs/pii.py), so a dump of the database does not show it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson
from pydantic import TypeAdapter

from libs.pii import PiiVault
from services.enrollment.domain import events as e

# Per stored event type, the fields sealed at rest.
PERSONAL_FIELDS: dict[str, tuple[str, ...]] = {"PersonRegistered": ("id_number", "name")}


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


def encode_event(event: e.Event, vault: PiiVault) -> tuple[str, dict[str, Any]]:
    event_type = type(event).__name__
    data = _adapter(type(event)).dump_python(event, mode="json")
    for name in PERSONAL_FIELDS.get(event_type, ()):
        data[name] = vault.seal(name, data[name])
    return event_type, data


def decode_event(event_type: str, data: str | bytes, vault: PiiVault) -> e.Event:
    """The event from its stored JSON text: parsed and validated in one pass, unless it has fields to open."""
    try:
        cls = EVENT_TYPES[event_type]
    except KeyError:
        raise ValueError(f"stored event type {event_type!r} is unknown to this version of the service") from None
    personal = PERSONAL_FIELDS.get(event_type)
    if not personal:
        return _adapter(cls).validate_json(data)
    fields = orjson.loads(data)
    for name in personal:
        fields[name] = vault.open(name, fields[name])
    return _adapter(cls).validate_python(fields)
