"""Failed sign-ins in the console's database (`login_failures`), shared by all its processes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from services.console.domain.login_throttle import FailureCounts, Failures


class PgLoginAttempts:
    def __init__(self, pool: Callable[[], Any]) -> None:
        self._pool = pool

    async def failures(self, username: str, address: str, since: datetime) -> FailureCounts:
        async with self._pool().acquire() as conn:
            row = await conn.fetchrow(
                "SELECT count(*) FILTER (WHERE username = $1 AND address = $2) AS name_at_address,"
                " min(at) FILTER (WHERE username = $1 AND address = $2) AS name_at_address_oldest,"
                " count(*) FILTER (WHERE address = $2) AS address, min(at) FILTER (WHERE address = $2) AS address_oldest,"
                " count(*) FILTER (WHERE username = $1) AS name, min(at) FILTER (WHERE username = $1) AS name_oldest"
                " FROM login_failures WHERE at > $3 AND (username = $1 OR address = $2)", username, address, since)
        return FailureCounts(*(Failures(row[kind], row[f"{kind}_oldest"]) for kind in ("name_at_address", "address", "name")))

    async def failed(self, username: str, address: str, at: datetime, forget_before: datetime) -> None:
        async with self._pool().acquire() as conn, conn.transaction():
            await conn.execute("INSERT INTO login_failures (username, address, at) VALUES ($1, $2, $3)",
                               username, address, at)
            await conn.execute("DELETE FROM login_failures WHERE at < $1", forget_before)

    async def succeeded(self, username: str, address: str) -> None:
        async with self._pool().acquire() as conn:
            await conn.execute("DELETE FROM login_failures WHERE username = $1 AND address = $2", username, address)
