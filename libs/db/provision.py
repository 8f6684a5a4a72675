"""A service's database and role, created by the administration role (`owner`), never by a superuser.

The platform's Postgres layout (docs/database-roles.md):
- one role per service (`enrollment`, `settlement`, ...): LOGIN, no superuser, no CREATEDB, no CREATEROLE;
  it owns its own database and nothing else, so it runs its own migrations at start and can reach no
  other service's data (CONNECT on every database is revoked from PUBLIC);
- `owner`: the administration role (CREATEDB, CREATEROLE, not superuser), a member of every service
  role. deploy/postgres.sh provisions the stack with it; the tests create their namespaced databases
  with it through `create_service_database`.

`create_service_database` and `drop_service_database` are idempotent, safe to call on every start.
"""

from __future__ import annotations

import re

import asyncpg

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _quoted(name: str) -> str:
    """A role or database name as a SQL identifier; only the names this platform makes are accepted."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"{name!r} is not a role or database name of this platform ([a-z_][a-z0-9_]*, 63 at most)")
    return f'"{name}"'


def _literal(password: str) -> str:
    if "'" in password or "\\" in password or "\x00" in password:
        raise ValueError("a password may not contain quotes, backslashes or NUL")
    return f"'{password}'"


async def ensure_role(conn: asyncpg.Connection, role: str, password: str | None = None) -> None:
    """`role` exists, can do nothing beyond what is granted to it, and logs in only with a password.

    Without a password the role is NOLOGIN (a namespace's owner in the tests); with one, its password is
    set every time (a rotation in the secrets file takes effect at the next provisioning).
    """
    name = _quoted(role)
    rights = await conn.fetchrow(
        "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls FROM pg_roles WHERE rolname = $1",
        role)
    if rights is None:
        await conn.execute(f"CREATE ROLE {name} NOLOGIN")  # the defaults: no superuser, no CREATEDB...
    elif any(rights):
        raise PermissionError(f"role {role} has rights beyond its database (superuser, CREATEDB...): not a service role")
    if password is not None:
        await conn.execute(f"ALTER ROLE {name} LOGIN PASSWORD {_literal(password)}")
    # The administration role acts for the service role: it creates the role's databases (Postgres
    # requires membership for CREATE DATABASE ... OWNER) and can drop them in the tests.
    admin = await conn.fetchval("SELECT current_user")
    member = await conn.fetchval("SELECT pg_has_role($1, $2, 'MEMBER')", admin, role)
    if not member:
        await conn.execute(f"GRANT {name} TO {_quoted(admin)}")


async def create_service_database(admin_dsn: str, name: str, role: str, password: str | None = None) -> None:
    """Database `name` owned by `role` (created if missing), which alone (with the admin) may connect."""
    _quoted(name), _quoted(role)  # refused before any connection
    conn = await asyncpg.connect(admin_dsn)
    try:
        await ensure_role(conn, role, password)
        owner = await conn.fetchval(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1", name)
        if owner is None:
            await conn.execute(f"CREATE DATABASE {_quoted(name)} OWNER {_quoted(role)}")
        elif owner != role:
            await conn.execute(f"ALTER DATABASE {_quoted(name)} OWNER TO {_quoted(role)}")
        await conn.execute(f"REVOKE CONNECT, TEMPORARY ON DATABASE {_quoted(name)} FROM PUBLIC")
        await conn.execute(f"GRANT CONNECT, TEMPORARY ON DATABASE {_quoted(name)} TO {_quoted(role)}")
    finally:
        await conn.close()


async def drop_service_database(admin_dsn: str, name: str) -> None:
    """Drop `name` if it exists, closing its connections (a test namespace's cleanup)."""
    _quoted(name)
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {_quoted(name)} WITH (FORCE)")
    finally:
        await conn.close()
