"""Yuan at the interface, integer fen inside: parsed exactly, written exactly (R1).

What arrives is lenient: a JSON number (read as a Decimal, never a float), a string such as "4.52",
`null` or `""` for an absent value. What leaves is strict: every amount a two-decimal yuan value.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Literal, overload

from libs.money import Fen, MoneyError, fen_to_yuan, yuan_to_fen
from services.gateway.domain.errors import InvalidInput


def _decimal(value: object, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, (bool, float)):
        raise InvalidInput(f"{field} {value!r} must be a decimal number")
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidInput(f"{field} {value!r} is not a number") from None


@overload
def fen(value: object, field: str, *, required: Literal[True] = ...) -> Fen: ...
@overload
def fen(value: object, field: str, *, required: bool) -> Fen | None: ...
def fen(value: object, field: str, *, required: bool = True) -> Fen | None:
    """A yuan amount (at most two decimals) as fen; None when absent and not required."""
    d = _decimal(value, field)
    if d is None:
        if required:
            raise InvalidInput(f"{field} 必填 (is required)")
        return None
    try:
        return yuan_to_fen(d.normalize() if d == d.to_integral_value() else d)
    except MoneyError:
        raise InvalidInput(f"{field} {value} 金额最多两位小数 (has more than two decimals)") from None


@overload
def decimal(value: object, field: str, *, places: int, required: Literal[True] = ...) -> Decimal: ...
@overload
def decimal(value: object, field: str, *, places: int, required: bool) -> Decimal | None: ...
def decimal(value: object, field: str, *, places: int, required: bool = True) -> Decimal | None:
    """A count, price or ratio with at most `places` decimals."""
    d = _decimal(value, field)
    if d is None:
        if required:
            raise InvalidInput(f"{field} 必填 (is required)")
        return None
    exponent = d.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places and d != d.quantize(Decimal(1).scaleb(-places)):
        raise InvalidInput(f"{field} {value} has more than {places} decimals")
    return d


def yuan(amount: Fen | None) -> Decimal | None:
    """Fen to the interface's two-decimal yuan (None stays None)."""
    return None if amount is None else fen_to_yuan(amount)
