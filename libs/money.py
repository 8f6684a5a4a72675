"""Money is integer fen (分) everywhere: on the wire, in the database and in the domain.

Ratios are `Decimal`; applying one to an amount rounds **half-up to the fen** (the rounding the
national settlement interface uses for two-decimal yuan amounts). When an amount is split in two by a
ratio, only one side is rounded and the other is the remainder, so the parts always add up exactly.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

Fen = int

FEN_PER_YUAN = 100
MAX_YUAN = Decimal(10**13)  # MAX_FEN of libs/contracts/bounds.py, in yuan
_ONE = Decimal(1)


class MoneyError(ValueError):
    """An amount that cannot be represented exactly in fen."""


def ratio(value: str | int | Decimal) -> Decimal:
    """A ratio between 0 and 1 given as a string or Decimal (never a float)."""
    if isinstance(value, float):
        raise MoneyError("ratios are never floats; pass a string such as '0.65'")
    r = Decimal(value)
    if not (Decimal(0) <= r <= _ONE):
        raise MoneyError(f"ratio {value} is outside 0..1")
    return r


def apply_ratio(amount: Fen, r: Decimal) -> Fen:
    """`amount × r`, rounded half-up to the fen (half away from zero for negative amounts)."""
    if isinstance(r, float):
        raise MoneyError("ratios are never floats")
    return int((Decimal(amount) * r).to_integral_value(rounding=ROUND_HALF_UP))


def split(amount: Fen, r: Decimal) -> tuple[Fen, Fen]:
    """Split `amount` into (`amount × r` rounded, the remainder); the two always sum to `amount`."""
    part = apply_ratio(amount, r)
    return part, amount - part


def yuan_to_fen(value: str | int | Decimal) -> Fen:
    """Parse a yuan amount with at most two decimals ("1200", "5792.53") into fen, exactly."""
    if isinstance(value, float):
        raise MoneyError("yuan amounts are never floats; pass a string such as '12.30'")
    text = str(value).replace(",", "")
    if len(text) > 40:  # the text is bounded before Decimal reads it, the exponent before int() does
        raise MoneyError("an amount in yuan has at most 40 characters")
    try:
        d = Decimal(text)
    except InvalidOperation as exc:
        raise MoneyError(f"{value!r} is not an amount in yuan") from exc
    if not d.is_finite() or abs(d) > MAX_YUAN:  # int(Decimal('1E+999997')) would build a million digits
        raise MoneyError(f"{text[:40]!r} is not an amount in yuan between -{MAX_YUAN} and {MAX_YUAN}")
    fen = d * FEN_PER_YUAN
    if fen != fen.to_integral_value():
        raise MoneyError(f"{value!r} has more than two decimals")
    return int(fen)


def fen_to_yuan(amount: Fen) -> Decimal:
    """Fen as a two-decimal yuan Decimal (for reports and the national interface's yuan fields)."""
    return Decimal(amount).scaleb(-2)  # exact: the integer's digits with the point moved two places


def format_yuan(amount: Fen) -> str:
    """A human-readable yuan string with thousands separators: 120000 -> '1,200.00'."""
    yuan, fen = divmod(abs(amount), 100)  # integers: exact, and several times faster than a Decimal
    return f"{'-' if amount < 0 else ''}{yuan:,}.{fen:02d}"


def line_amount(cnt: Decimal, pric: Decimal) -> Fen:
    """A fee line's amount in fen from its count and unit price in yuan, rounded half-up."""
    return int((cnt * pric * FEN_PER_YUAN).to_integral_value(rounding=ROUND_HALF_UP))
