"""The bounds every contract's fields are held to, checked by pydantic before any arithmetic.

A message is read by code that multiplies, sums, stores in `bigint` and `text` columns and formats
for a clerk. Without bounds one field could cost seconds of CPU (a `pric` of 1E+999997 turned into
fen), overflow a column, or carry a NUL byte Postgres refuses. Every number therefore has a range,
every decimal a number of digits and of decimal places, every list a length and every string a
length and no control characters (docs/security.md, "Bad input").
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BeforeValidator, Field, StringConstraints

PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
"""No control characters (NUL among them): every text field, whatever its script."""

IDENTIFIER = r"^[0-9A-Za-z][0-9A-Za-z_.:/@+=-]*$"
"""Ids and codes: ASCII letters, digits and a few separators, so a look-alike cannot pose as another."""

MAX_FEN = 10**15
"""Ten trillion yuan: above any amount, total or cycle of the platform, and far inside `bigint`."""

Fen = Annotated[int, Field(ge=-MAX_FEN, le=MAX_FEN)]
"""An amount in fen (分), signed; fields that cannot be negative add `ge=0`."""

Count = Annotated[int, Field(ge=0, le=10**9)]
"""A number of things (settlements, lines, years): never negative, never astronomic."""

Version = Annotated[int, Field(ge=1, le=10**9)]
"""A version that rises by one a change: a billion changes of one thing do not happen."""



def _number(value: object) -> object:
    """A decimal is given as a JSON number or a string: pydantic would also take a list as the tuple
    form of `Decimal((sign, digits, exponent))`, and raise a ValueError rather than refuse it."""
    if isinstance(value, (list, tuple, dict)):
        raise ValueError("a number is expected, as a JSON number or a string")
    return value


Decimal_ = BeforeValidator(_number)

Quantity = Annotated[Decimal, Decimal_, Field(max_digits=16, decimal_places=4, ge=-10**6, le=10**6, allow_inf_nan=False)]
"""数量 as the national interface has it (16 digits, 4 decimals), at most a million units:
negative only on refund lines. With `UnitPrice` a line stays inside `MAX_FEN`."""

UnitPrice = Annotated[Decimal, Decimal_, Field(max_digits=16, decimal_places=6, ge=0, le=10**7, allow_inf_nan=False)]
"""单价 in yuan (16 digits, 6 decimals), at most ten million yuan a unit."""

Ratio = Annotated[Decimal, Decimal_, Field(max_digits=12, decimal_places=6, ge=0, le=1, allow_inf_nan=False)]

Id = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=IDENTIFIER)]
"""An id one system gives a thing (claim, command, settlement, person, institution)."""

Region = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
"""医保区划: a 6-digit region code (ASCII digits only)."""

RegionOrProvince = Annotated[str, StringConstraints(pattern=r"^([0-9]{2}|[0-9]{6})$")]


def text(max_length: int, min_length: int = 0) -> object:
    """Free text of at most `max_length` characters, in any script, without control characters."""
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length, pattern=PRINTABLE)]


Reason = text(500)
"""A sentence for a clerk."""

Name = text(80)

MAX_LINES = 5000
"""Fee lines of one bill: a long inpatient stay has a few thousand."""

MAX_ITEMS = 10_000
"""Other lists (items of a clearing decision, regions of a cycle)."""
