"""asyncpg pools: one per service database.

`plan_cache_mode = force_custom_plan`: asyncpg prepares every statement, and after five executions
Postgres may switch a prepared statement to a generic plan, chosen without the parameters' values
and with the statistics of the moment. The set-based statements (`= ANY($1)`, `unnest($1, …)`) then
kept a sequential scan chosen while a table was nearly empty: the wallet's lookup of 20 payments by
primary key took 4.4 ms on a table of 30,000 rows, and marking 20 claims settled 4.7 ms
(docs/performance.md). A custom plan costs some planning per execution and sees how many keys an
array holds, which is what the batch statements need.
"""

from __future__ import annotations

import asyncpg

SERVER_SETTINGS = {"plan_cache_mode": "force_custom_plan"}


async def create_pool(dsn: str, *, max_size: int = 8) -> asyncpg.Pool:
    return await asyncpg.create_pool(dsn, min_size=1, max_size=max_size, command_timeout=30,
                                     server_settings=SERVER_SETTINGS)
