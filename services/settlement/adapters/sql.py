"""Statements with named parameters (`:name`), turned into asyncpg's numbered ones (`$1`) once per text.

Set-based statements carry a dozen arrays or more; naming them keeps each in its place when a part is
added, where `${i + 19}` arithmetic would shift silently. `::type` casts are left alone.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

_NAME = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")


@lru_cache(maxsize=64)
def _numbered(sql: str) -> tuple[str, tuple[str, ...]]:
    order: dict[str, int] = {}

    def number(match: re.Match[str]) -> str:
        return f"${order.setdefault(match.group(1), len(order) + 1)}"

    return _NAME.sub(number, sql), tuple(order)


def named(sql: str, **params: Any) -> tuple[Any, ...]:
    """The statement with numbered placeholders, then its arguments in their order (`conn.execute(*named(...))`);
    every name must be given, and only those."""
    text, names = _numbered(sql)
    unknown, missing = set(params) - set(names), set(names) - set(params)
    if unknown or missing:
        raise KeyError(f"parameters not in the statement: {sorted(unknown)}; not given: {sorted(missing)}")
    return (text, *(params[name] for name in names))
