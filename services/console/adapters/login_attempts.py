"""Failed sign-ins in the console's database (`login_failures`), shared by all its processes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from services.console.domain.login_throttle import Failures


class PgLoginAttempts:
    def __init__(self, pool: Callable[[], Any]) -> None:
        self._pool = pool

    async def failures(self, username: str, address: str, since: datetime) -> tuple[Failures, Failures]:
        async with self._pool().acquire() as conn:
            row = await conn.fetchrow(
                "SELECT count(*) FILTER (WHERE username = $1) AS by_username,"
                " min(at) FILTER (WHERE username = $1) AS username_oldest,"
                " count(*) FILTER (WHERE address = $2) AS by_address,"
                " min(at) FILTER (WHERE address = $2) AS address_oldest"
                " FROM login_failures WHERE at > $3 AND (username = $1 OR address = $2)", username, address, since)
        return (Failures(row["by_username"], row["username_oldest"]),
                Failures(row["by_address"], row["address_oldest"]))

    async def failed(self, username: str, address: str, at: datetime, forget_before: datetime) -> None:
        async with self._pool().acquire() as conn, conn.transaction():
            await conn.execute("INSERT INTO login_failures (username, address, at) VALUES ($1, $2, $3)",
                               username, address, at)
            await conn.execute("DELETE FROM login_failures WHERE at < $1", forget_before)

    async def succeeded(self, username: str) -> None:
        async with self._pool().acquire() as conn:
            await conn.execute("DELETE FROM login_failures WHERE username = $1", username)
