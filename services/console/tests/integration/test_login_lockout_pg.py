"""The sign-in lockout counts in the console's database, so two console processes (two pools here) see
the same failures: guessing through one of them locks the name in the other too (from that address, or
from everywhere once the guess is spread over addresses)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from libs.db.migrations import migrate
from libs.messaging import postgres
from services.console.adapters.login_attempts import PgLoginAttempts
from services.console.bootstrap import MIGRATIONS
from services.console.domain.login_throttle import LoginLocked, ThrottlePolicy
from services.console.domain.operators import ConsoleRole, ConsoleUser, LoginRefused
from services.console.service_layer.sign_in import SignIn

pytestmark = pytest.mark.integration
USERS = {"operator": ConsoleUser("operator", ConsoleRole.operator, "op-secret")}
POLICY = ThrottlePolicy(per_username_address=3, per_address=10, per_username=5, window=timedelta(minutes=15))


def signing_in(pool: asyncpg.Pool) -> SignIn:
    """One console process's sign-in, on its own pool."""
    return SignIn(PgLoginAttempts(lambda: pool), lambda: USERS, POLICY)


@pytest.fixture
async def two_processes(namespace) -> AsyncIterator[tuple[SignIn, SignIn]]:
    admin = await asyncpg.connect(namespace.stack.dsn("postgres"))
    name = f"{namespace.prefix}console_lockout"
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    await admin.execute(f'CREATE DATABASE "{name}"')
    pools = [await asyncpg.create_pool(namespace.stack.dsn(name), min_size=1, max_size=2) for _ in range(2)]
    async with pools[0].acquire() as conn:
        await migrate(conn, {"messaging": postgres.MIGRATIONS, "console": MIGRATIONS})
    try:
        yield signing_in(pools[0]), signing_in(pools[1])
    finally:
        for pool in pools:
            await pool.close()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def test_failures_through_one_process_lock_the_name_at_that_address_in_the_other(two_processes) -> None:
    first, second = two_processes
    now = datetime.now(UTC)
    for n in range(3):
        with pytest.raises(LoginRefused):
            await (first if n % 2 else second)("operator", "guess", "10.0.0.66", now + timedelta(seconds=n))
    with pytest.raises(LoginLocked) as locked:
        await second("Operator", "op-secret", "10.0.0.66", now + timedelta(minutes=1))
    assert 13 * 60 < locked.value.retry_after_s <= 14 * 60
    # the operator at their own desk is not locked out by the attacker's address
    assert (await first("operator", "op-secret", "10.0.0.7", now + timedelta(minutes=1))).username == "operator"
    assert (await first("operator", "op-secret", "10.0.0.66", now + timedelta(minutes=16))).username == "operator"


async def test_a_guess_spread_over_addresses_through_both_processes_locks_the_name_everywhere(two_processes) -> None:
    first, second = two_processes
    now = datetime.now(UTC)
    for n in range(5):
        with pytest.raises(LoginRefused):
            await (first if n % 2 else second)("operator", "guess", f"10.0.1.{n}", now)
    with pytest.raises(LoginLocked):
        await first("operator", "op-secret", "10.0.0.7", now + timedelta(minutes=1))


async def test_a_successful_sign_in_forgets_the_names_failures_from_its_address_only(two_processes) -> None:
    first, second = two_processes
    now = datetime.now(UTC)
    for name, address in (("operator", "10.0.0.1"), ("operator", "10.0.0.1"), ("admin", "10.0.0.1"),
                          ("root", "10.0.0.1"), ("operator", "10.0.0.66")):
        with pytest.raises(LoginRefused):
            await first(name, "guess", address, now)
    await second("operator", "op-secret", "10.0.0.1", now)
    counts = await first.attempts.failures("operator", "10.0.0.1", now - POLICY.window)
    assert (counts.name_at_address.count, counts.address.count, counts.name.count) == (0, 2, 1)
