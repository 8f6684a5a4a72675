"""A plain-SQL migration runner: files `NNN_name.sql` applied once each, in order, per namespace.

Each service passes its own folders (the shared messaging tables plus its own), so a service owns
its schema and applies it at start. An advisory lock makes concurrent starts safe.

Migrations run as the database's owner, the service's role (docs/database-roles.md): a connection as
another role that may act for it (the administration role `owner`, in a tool or a test) switches to it
first, so every table belongs to the service whichever role started it.
"""

from __future__ import annotations

import re
from pathlib import Path

import asyncpg
from asyncpg.pool import PoolConnectionProxy

_FILE = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
_LOCK_KEY = 7_305_1101  # any constant; shared by every process migrating the same database


def migration_files(folder: Path) -> list[tuple[int, Path]]:
    found = []
    for path in sorted(folder.iterdir()):
        match = _FILE.match(path.name)
        if match:
            found.append((int(match.group(1)), path))
    versions = [v for v, _ in found]
    if len(versions) != len(set(versions)):
        raise ValueError(f"two migrations share a number in {folder}")
    return found


async def migrate(conn: asyncpg.Connection | PoolConnectionProxy, namespaces: dict[str, Path]) -> list[str]:
    """Apply what is missing; return the names of the files applied."""
    applied: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
    switched = await _as_database_owner(conn)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " namespace text NOT NULL, version int NOT NULL, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (namespace, version))"
        )
        for namespace, folder in namespaces.items():
            done = {r["version"] for r in await conn.fetch(
                "SELECT version FROM schema_migrations WHERE namespace = $1", namespace)}
            for version, path in migration_files(folder):
                if version in done:
                    continue
                async with conn.transaction():
                    await conn.execute(path.read_text())
                    await conn.execute(
                        "INSERT INTO schema_migrations (namespace, version, name) VALUES ($1, $2, $3)",
                        namespace, version, path.name)
                applied.append(f"{namespace}/{path.name}")
    finally:
        if switched:
            await conn.execute("RESET ROLE")
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    return applied


async def _as_database_owner(conn: asyncpg.Connection | PoolConnectionProxy) -> bool:
    """SET ROLE to the database's owner when connected as another role that is a member of it."""
    owner = await conn.fetchval(
        "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"
        " AND pg_get_userbyid(datdba) <> current_user AND pg_has_role(current_user, datdba, 'MEMBER')")
    if owner is None:
        return False
    quoted = str(owner).replace('"', '""')
    await conn.execute(f'SET ROLE "{quoted}"')
    return True
