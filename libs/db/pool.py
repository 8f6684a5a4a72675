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


async def keep_session(conn: asyncpg.Connection) -> None:
    """Release a connection to the pool without resetting its session.

    asyncpg's default reset sends `pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL` on
    every release: one more round trip and four statements per transaction, paid per batch by every
    consumer. asyncpg still rolls back a transaction left open before this runs. Nothing here leaves
    other session state: no LISTEN, no cursors outside a transaction, no session `SET` (settings go in
    `SERVER_SETTINGS`), and the two session advisory locks (migrations, the relay) are released in
    `finally` blocks; a connection that broke in between is closed, not reused.
    """


async def create_pool(dsn: str, *, max_size: int = 8) -> asyncpg.Pool:
    return await asyncpg.create_pool(dsn, min_size=1, max_size=max_size, command_timeout=30,
                                     server_settings=SERVER_SETTINGS, reset=keep_session)
