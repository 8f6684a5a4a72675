"""Which payload types exist, how old versions are upcast, and how bytes become typed envelopes."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import orjson
from pydantic import ValidationError

from libs.contracts import claims, clearing, enrollment, reimbursement, topics, wallet
from libs.contracts.envelope import Envelope, Payload, RawEnvelope, envelope_type

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

MODULES = (claims, enrollment, wallet, clearing, reimbursement)

# What travels on each topic: each contract module declares its own in `CARRIES`.
# The dead-letter topic carries any message, as it was received.
CARRIES: dict[str, tuple[type[Payload], ...]] = {t.name: () for t in topics.ALL_TOPICS}
for _module in MODULES:
    for _topic, _models in _module.CARRIES.items():
        CARRIES[_topic] = CARRIES[_topic] + tuple(_models)

PAYLOAD_TYPES: dict[str, type[Payload]] = {m.event_type: m for models in CARRIES.values() for m in models}

# (event_type, from_version) -> function turning a version-N payload dict into version N+1.
UPCASTERS: dict[tuple[str, int], Upcaster] = {}


class UndecodableMessage(ValueError):
    """A message that cannot become a typed envelope; `reason` says why in plain words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def upcast(event_type: str, version: int, payload: dict[str, Any]) -> dict[str, Any]:
    target = PAYLOAD_TYPES[event_type].schema_version
    if version > target:
        raise UndecodableMessage(f"{event_type} version {version} is newer than this service knows ({target})")
    while version < target:
        step = UPCASTERS.get((event_type, version))
        if step is None:
            raise UndecodableMessage(f"no upcaster for {event_type} from version {version}")
        payload, version = step(payload), version + 1
    return payload


def encode(envelope: Envelope[Any]) -> bytes:
    """JSON bytes, serialized by pydantic-core in one step."""
    return envelope.__pydantic_serializer__.to_json(envelope)


# Encoders write `event_type` near the start; a producer that orders keys differently still decodes,
# through the slow path.
_EVENT_TYPE = re.compile(rb'"event_type"\s*:\s*"([A-Za-z0-9_.-]{1,80})"')


def decode(value: bytes | None, accepted: frozenset[str] | None = None) -> Envelope[Any]:
    """Bytes to a typed envelope, or UndecodableMessage with a reason a person can read.

    Fast path (most messages): a known event type at its current version is validated in ONE pass
    by pydantic-core straight from the bytes. Anything else (an old version to upcast, an unknown
    type, invalid input) takes the step-by-step path, which also words the dead-letter reason.
    """
    found = _EVENT_TYPE.search(value, 0, 400) if value else None
    model = PAYLOAD_TYPES.get(found.group(1).decode()) if found else None
    if model is not None and (accepted is None or model.event_type in accepted):
        try:
            envelope = envelope_type(model).model_validate_json(value)
        except (ValidationError, ValueError, TypeError, ArithmeticError, RecursionError):
            pass  # worded by the step-by-step path
        else:
            if envelope.event_type == model.event_type and envelope.schema_version == model.schema_version:
                return envelope
    return _decode_step_by_step(value, accepted)


def _decode_step_by_step(value: bytes | None, accepted: frozenset[str] | None) -> Envelope[Any]:
    if not value:
        raise UndecodableMessage("empty message")
    try:
        data = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        if "infinity" in str(exc):  # 1E+999997 as a JSON number: beyond a double, let alone a bound
            raise UndecodableMessage(f"a number is far too large for any field ({exc})") from exc
        raise UndecodableMessage(f"not JSON: {exc}") from exc
    try:
        raw = RawEnvelope.model_validate(data)
    except ValidationError as exc:
        raise UndecodableMessage(f"invalid envelope: {_errors(exc)}") from exc
    model = PAYLOAD_TYPES.get(raw.event_type)
    if model is None or (accepted is not None and raw.event_type not in accepted):
        raise UndecodableMessage(f"unknown event type {raw.event_type!r} on this topic")
    payload = upcast(raw.event_type, raw.schema_version, raw.payload)
    try:
        typed = model.model_validate(payload)
    except ValidationError as exc:
        raise UndecodableMessage(f"invalid {raw.event_type}: {_errors(exc)}") from exc
    except (ValueError, TypeError, ArithmeticError, RecursionError) as exc:  # a validator that raised instead of refusing
        raise UndecodableMessage(f"invalid {raw.event_type}: {type(exc).__name__}") from exc
    return envelope_type(model)(**{**raw.model_dump(exclude={"payload"}), "schema_version": model.schema_version, "payload": typed})


def _errors(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}" for err in exc.errors()[:5]
    )
