"""asyncpg pools: one per service database."""

from __future__ import annotations

import asyncpg


async def create_pool(dsn: str, *, max_size: int = 8) -> asyncpg.Pool:
    return await asyncpg.create_pool(dsn, min_size=1, max_size=max_size, command_timeout=30)
