"""Reading a parsed YAML document field by field, so every fault names its file and field path.

A policy pack is edited by hand; "invalid pack" is useless to the person editing it, while
"430100-390-2026.yaml: inpatient.deductible.3: ..." tells them where to look.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from libs.money import Fen, MoneyError, yuan_to_fen
from services.settlement.domain.errors import ReferenceDataError

_FLOAT_HINT = 'write it as a quoted string such as "{example}" (YAML reads {value} as a binary float)'


class Node:
    """One value of a document and the dotted path that leads to it."""

    def __init__(self, source: str, value: Any, path: str = "") -> None:
        self.source = source
        self.value = value
        self.path = path

    def fail(self, problem: str) -> ReferenceDataError:
        return ReferenceDataError(self.source, self.path or "(document)", problem)

    def _child(self, key: str | int, value: Any) -> Node:
        return Node(self.source, value, f"{self.path}.{key}" if self.path else str(key))

    def mapping(self, allowed: tuple[str, ...] | None = None) -> Mapping[str, Any]:
        if not isinstance(self.value, Mapping):
            raise self.fail(f"expected a mapping of keys, got {_shown(self.value)}")
        if allowed is not None:
            unknown = sorted(str(k) for k in self.value if str(k) not in allowed)
            if unknown:
                raise self.fail(f"unknown key {unknown[0]!r}; expected one of {', '.join(allowed)}")
        return {str(k): v for k, v in self.value.items()}

    def has(self, key: str) -> bool:
        return key in self.mapping()

    def __getitem__(self, key: str) -> Node:
        values = self.mapping()
        if key not in values:
            raise self.fail(f"missing key {key!r}")
        return self._child(key, values[key])

    def nullable(self, key: str) -> Node | None:
        """A key that must be present but may be `null` (written out, so "none" is a decision)."""
        child = self[key]
        return None if child.value is None else child

    def items(self) -> Iterator[tuple[str, Node]]:
        for key, value in self.mapping().items():
            yield key, self._child(key, value)

    def elements(self) -> Iterator[Node]:
        if not isinstance(self.value, list):
            raise self.fail(f"expected a list, got {_shown(self.value)}")
        for index, value in enumerate(self.value):
            yield self._child(index, value)

    def text(self) -> str:
        if isinstance(self.value, bool) or not isinstance(self.value, (str, int)):
            raise self.fail(f"expected text, got {_shown(self.value)}")
        return str(self.value)

    def code(self, digits: int) -> str:
        value = self.text()
        if not (value.isdigit() and len(value) == digits):
            raise self.fail(f"expected a {digits}-digit code in quotes, got {value!r}")
        return value

    def boolean(self) -> bool:
        if not isinstance(self.value, bool):
            raise self.fail(f"expected true or false, got {_shown(self.value)}")
        return self.value

    def whole_number(self) -> int:
        if isinstance(self.value, bool) or not isinstance(self.value, int) or self.value < 0:
            raise self.fail(f"expected a whole number of 0 or more, got {_shown(self.value)}")
        return self.value

    def day(self) -> date:
        if isinstance(self.value, date):
            return self.value
        try:
            return date.fromisoformat(str(self.value))
        except ValueError:
            raise self.fail(f"expected a date such as 2026-01-01, got {_shown(self.value)}") from None

    def yuan(self) -> Fen:
        """An amount written in yuan ("1200", 1200, "5792.53"), returned in fen."""
        if isinstance(self.value, float):
            raise self.fail(_FLOAT_HINT.format(example="1200.50", value=self.value))
        if isinstance(self.value, bool) or not isinstance(self.value, (str, int)):
            raise self.fail(f"expected an amount in yuan, got {_shown(self.value)}")
        try:
            fen = yuan_to_fen(self.value)
        except MoneyError as exc:
            raise self.fail(str(exc)) from None
        if fen < 0:
            raise self.fail(f"an amount cannot be negative, got {self.value}")
        return fen

    def ratio(self) -> Decimal:
        """A ratio between 0 and 1 ("0.65"); never a float."""
        if isinstance(self.value, float):
            raise self.fail(_FLOAT_HINT.format(example="0.65", value=self.value))
        if isinstance(self.value, bool) or not isinstance(self.value, (str, int)):
            raise self.fail(f"expected a ratio such as \"0.65\", got {_shown(self.value)}")
        try:
            value = Decimal(str(self.value))
        except InvalidOperation:
            raise self.fail(f"expected a ratio such as \"0.65\", got {self.value!r}") from None
        if not Decimal(0) <= value <= Decimal(1):
            raise self.fail(f"a ratio must lie between 0 and 1, got {self.value}")
        return value

    def choice(self, options: tuple[str, ...]) -> str:
        value = self.text()
        if value not in options:
            raise self.fail(f"expected one of {', '.join(options)}, got {value!r}")
        return value

    def resolves(self, dotted: str) -> bool:
        """Whether a dotted path (list items by index) names a value in this document."""
        value: Any = self.value
        for part in dotted.split("."):
            if isinstance(value, Mapping) and part in {str(k) for k in value}:
                value = {str(k): v for k, v in value.items()}[part]
            elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
                value = value[int(part)]
            else:
                return False
        return True


def _shown(value: Any) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {value!r}"
