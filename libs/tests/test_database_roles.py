"""Postgres roles on the real server: each service owns its database alone, and no one is superuser at run time.

The namespaced tests run as the administration role; the stack's own service roles (deploy/postgres.sh,
passwords in the secrets file) are checked where that file is at hand.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path

import asyncpg
import pytest

from libs.db.migrations import migrate
from libs.db.provision import create_service_database, drop_service_database
from libs.messaging import postgres

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("enrollment", "settlement", "wallet", "clearing", "gateway", "console")


def stack_secrets() -> dict[str, str]:
    path = Path(os.environ.get("SECRETS_FILE") or Path(os.environ.get("STACK_DIR") or ROOT / ".stack") / "secrets.env")
    if not path.exists():
        return {}
    pairs = (line.partition("=") for line in path.read_text().splitlines() if not line.startswith("#"))
    return {name.strip(): value.strip() for name, sep, value in pairs if sep}


def as_role(stack, role: str, password: str, database: str) -> str:
    return f"postgresql://{role}:{password}@{stack.pghost}:{stack.pgport}/{database}"


@pytest.fixture
async def scratch(stack):
    """A database and a login role of this test alone, made the way a service's are."""
    name = f"t{uuid.uuid4().hex[:8]}_roles"
    password = uuid.uuid4().hex
    await create_service_database(stack.dsn("postgres"), name, name, password)
    yield name, password
    await drop_service_database(stack.dsn("postgres"), name)
    admin = await asyncpg.connect(stack.dsn("postgres"))
    try:
        await admin.execute(f'DROP ROLE IF EXISTS "{name}"')
    finally:
        await admin.close()


async def test_the_administration_role_of_the_tests_is_no_superuser(stack) -> None:
    conn = await asyncpg.connect(stack.dsn("postgres"))
    try:
        superuser = await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    finally:
        await conn.close()
    if stack.pguser != "owner":
        pytest.skip(f"the servers' admin is {stack.pguser} (testcontainers or a stack of before the roles)")
    assert superuser is False


async def test_a_service_role_runs_its_own_migrations_in_the_database_it_owns(stack, scratch) -> None:
    name, password = scratch
    conn = await asyncpg.connect(as_role(stack, name, password, name))
    try:
        applied = await migrate(conn, {"messaging": postgres.MIGRATIONS})
        owners = {r["tableowner"] for r in await conn.fetch("SELECT tableowner FROM pg_tables WHERE schemaname = 'public'")}
        rights = await conn.fetchrow("SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = current_user")
    finally:
        await conn.close()
    assert applied and owners == {name}
    assert rights is not None and tuple(rights) == (False, False, False)


async def test_a_database_refuses_any_role_but_its_owner(stack, scratch) -> None:
    name, _ = scratch
    stranger = f"{name}_x"
    await create_service_database(stack.dsn("postgres"), stranger, stranger, "another-password")
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="CONNECT"):
            await asyncpg.connect(as_role(stack, stranger, "another-password", name))
    finally:
        await drop_service_database(stack.dsn("postgres"), stranger)
        admin = await asyncpg.connect(stack.dsn("postgres"))
        try:
            await admin.execute(f'DROP ROLE IF EXISTS "{stranger}"')
        finally:
            await admin.close()


async def test_creating_a_service_database_twice_changes_nothing(stack, scratch) -> None:
    name, password = scratch
    await create_service_database(stack.dsn("postgres"), name, name, password)
    conn = await asyncpg.connect(stack.dsn("postgres"))
    try:
        row = await conn.fetchrow("SELECT pg_get_userbyid(datdba) AS owner, datacl::text[] AS acl FROM pg_database"
                                  " WHERE datname = $1", name)
    finally:
        await conn.close()
    assert row is not None and row["owner"] == name
    assert not any(entry.startswith("=") for entry in row["acl"])  # nothing granted to PUBLIC


def test_names_that_are_not_the_platforms_are_refused_before_any_sql() -> None:
    with pytest.raises(ValueError, match="not a role or database name"):
        asyncio.run(create_service_database("postgresql://nowhere/", 'x"; DROP DATABASE y; --', "x"))


async def test_each_service_of_the_stack_logs_in_as_itself_and_reaches_no_other_database(stack) -> None:
    secrets = stack_secrets()
    if not all(f"PG_{s.upper()}_PASSWORD" in secrets for s in SERVICES) or stack.pguser != "owner":
        pytest.skip("not the native stack of deploy/postgres.sh (no secrets file with the service roles)")
    for service in SERVICES:
        password = secrets[f"PG_{service.upper()}_PASSWORD"]
        conn = await asyncpg.connect(as_role(stack, service, password, service))
        try:
            assert await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user") is False
        finally:
            await conn.close()
        other = "settlement" if service != "settlement" else "wallet"
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await asyncpg.connect(as_role(stack, service, password, other))
        with pytest.raises(asyncpg.InvalidPasswordError):
            await asyncpg.connect(as_role(stack, service, "medins", service))


async def test_migrations_started_by_the_administration_role_create_tables_the_service_owns(stack, scratch) -> None:
    name, _ = scratch
    conn = await asyncpg.connect(stack.dsn(name))  # as the administration role, a member of the service's role
    try:
        await migrate(conn, {"messaging": postgres.MIGRATIONS})
        owners = {r["tableowner"] for r in await conn.fetch("SELECT tableowner FROM pg_tables WHERE schemaname = 'public'")}
        role_after = await conn.fetchval("SELECT current_user")
    finally:
        await conn.close()
    assert owners == {name}
    assert role_after == stack.pguser  # the switch ends with the migrations
