"""One request as the service layer sees it, and the small readers of its `input` nodes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, overload

from services.gateway.adapters.credentials import Institution
from services.gateway.domain.errors import InvalidInput


@dataclass(frozen=True)
class Call:
    infno: str  # the base transaction (2207 for 2207A)
    msgid: str
    envelope: dict[str, Any]
    institution: Institution
    body_hash: str

    @property
    def code(self) -> str:
        return self.institution.fixmedins_code

    @property
    def input(self) -> dict[str, Any]:
        value = self.envelope.get("input")
        if not isinstance(value, dict):
            raise InvalidInput("input 交易输入 must be an object with the transaction's nodes")
        return value

    def node(self, name: str) -> dict[str, Any]:
        value = self.input.get(name)
        if not isinstance(value, dict):
            raise InvalidInput(f"input.{name} is missing (transaction {self.infno} sends its data under input.{name})")
        return value

    def rows(self, name: str) -> list[dict[str, Any]]:
        value = self.input.get(name)
        if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
            raise InvalidInput(f"input.{name} must be a non-empty list")
        return value


@overload
def text(data: dict[str, Any], name: str, *, required: Literal[True] = ..., max_length: int = ...) -> str: ...
@overload
def text(data: dict[str, Any], name: str, *, required: bool, max_length: int = ...) -> str | None: ...
def text(data: dict[str, Any], name: str, *, required: bool = True, max_length: int = 50) -> str | None:
    value = data.get(name)
    if value is None or str(value).strip() == "":
        if required:
            raise InvalidInput(f"{name} 必填 (is required)")
        return None
    value = str(value).strip()
    if len(value) > max_length:
        raise InvalidInput(f"{name} may have at most {max_length} characters")
    return value


@overload
def when(data: dict[str, Any], name: str, *, required: Literal[True] = ...) -> datetime: ...
@overload
def when(data: dict[str, Any], name: str, *, required: bool) -> datetime | None: ...
def when(data: dict[str, Any], name: str, *, required: bool = True) -> datetime | None:
    value = text(data, name, required=required, max_length=30)
    if value is None:
        return None
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%Y%m%d%H%M%S"):
        try:
            return datetime.strptime(value, pattern)
        except ValueError:
            continue
    raise InvalidInput(f"{name} {value!r} is not a time yyyy-MM-dd HH:mm:ss")


def region(envelope: dict[str, Any], name: str) -> str:
    value = str(envelope.get(name) or "").strip()
    if len(value) != 6 or not value.isdigit():
        raise InvalidInput(f"{name} {value!r} must be a 6-digit region code (from the 1101 reply's insuinfo)")
    return value
