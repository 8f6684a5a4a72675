"""On the real Postgres: institutions' app secrets are sealed at rest (a `pg_dump` shows none), rows an
older version wrote in clear are sealed at start, and e-vouchers are kept as hashes and expire."""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from libs.pii import new_key
from services.gateway.adapters.credentials import PgCredentials, secret_sealer
from services.gateway.adapters.repository import PgGatewayStore
from services.gateway.domain.e_voucher import token_hash
from services.gateway.tests.integration.database import migrated_connection

pytestmark = pytest.mark.integration

PG_DUMP = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"))
KEY = new_key()
SEALER = secret_sealer(f"k1:{KEY}")


@pytest.fixture
async def conn(own_namespace) -> AsyncIterator[asyncpg.Connection]:
    conn = await migrated_connection(own_namespace)
    try:
        yield conn
    finally:
        await conn.close()


def dump(namespace) -> str:
    """The gateway's database as `pg_dump` writes it: what a stolen backup would show."""
    s = namespace.stack
    done = subprocess.run([str(PG_DUMP[-1]), "-h", s.pghost, "-p", str(s.pgport), "-U", s.pguser, "--data-only",
                           namespace.prefix + "gateway"], env={**os.environ, "PGPASSWORD": s.pgpassword},
                          capture_output=True, text=True, check=True)
    return done.stdout


@pytest.mark.skipif(not PG_DUMP, reason="pg_dump is installed with Debian's postgresql package")
async def test_a_database_dump_shows_no_app_secret_and_the_gateway_still_verifies_with_it(conn, own_namespace) -> None:
    issued = await PgCredentials(conn, SEALER).register_institution("H4301000001", "一院", "3", "430100")
    text = dump(own_namespace)
    assert issued.app_id in text  # the dump is of the right database
    assert issued.app_secret not in text and "gwsecret:1:k1:" in text
    found = await PgCredentials(conn, SEALER).institution_by_app_id(issued.app_id)
    assert found is not None and found.app_secret == issued.app_secret


async def test_registering_again_rotates_the_credentials(conn) -> None:
    credentials = PgCredentials(conn, SEALER)
    first = await credentials.register_institution("H4301000002", "二院", "3", "430100")
    second = await credentials.register_institution("H4301000002", "二院", "3", "430100")
    assert await credentials.institution_by_app_id(first.app_id) is None
    found = await credentials.institution_by_app_id(second.app_id)
    assert found is not None and (found.fixmedins_code, found.app_secret) == ("H4301000002", second.app_secret)


async def test_secrets_an_older_version_stored_in_clear_are_sealed_at_start_and_still_verify(conn) -> None:
    issued = await PgCredentials(conn, SEALER).register_institution("H4301000003", "三院", "3", "430100")
    await conn.execute("UPDATE institutions SET app_secret = $2 WHERE app_id = $1", issued.app_id, issued.app_secret)
    assert await PgCredentials(conn, SEALER).seal_clear_rows() >= 1
    stored = await conn.fetchval("SELECT app_secret FROM institutions WHERE app_id = $1", issued.app_id)
    assert stored.startswith("gwsecret:1:k1:") and issued.app_secret not in stored
    found = await PgCredentials(conn, SEALER).institution_by_app_id(issued.app_id)
    assert found is not None and found.app_secret == issued.app_secret
    assert await PgCredentials(conn, SEALER).seal_clear_rows() == 0


async def test_after_a_key_rotation_the_start_reseals_under_the_new_key(conn) -> None:
    issued = await PgCredentials(conn, SEALER).register_institution("H4301000004", "四院", "3", "430100")
    rotated = secret_sealer(f"k2:{new_key()},k1:{KEY}")  # the new key first, the old one still opens
    assert await PgCredentials(conn, rotated).seal_clear_rows() >= 1
    stored = await conn.fetchval("SELECT app_secret FROM institutions WHERE app_id = $1", issued.app_id)
    assert stored.startswith("gwsecret:1:k2:")
    found = await PgCredentials(conn, rotated).institution_by_app_id(issued.app_id)
    assert found is not None and found.app_secret == issued.app_secret


async def test_an_e_voucher_is_kept_as_its_hash_held_by_the_first_counter_and_purged_after_it_expires(conn) -> None:
    store, token, now = PgGatewayStore(conn), "tok-" + new_key(), datetime.now(UTC)
    await store.save_e_voucher(token_hash(token), "P1", now + timedelta(minutes=5))
    assert await conn.fetchval("SELECT count(*) FROM e_vouchers WHERE token_hash = $1 OR token_hash = $2",
                               token, token_hash(token)) == 1
    assert not await conn.fetchval("SELECT count(*) FROM e_vouchers WHERE token_hash = $1", token)
    first = await store.present_e_voucher(token_hash(token), "H1")
    again = await store.present_e_voucher(token_hash(token), "H2")
    assert first is not None and again is not None and (first.psn_no, again.fixmedins_code) == ("P1", "H1")
    assert await store.present_e_voucher(token_hash("never issued"), "H1") is None
    assert await store.purge_e_vouchers(now + timedelta(minutes=6)) >= 1
    assert await store.present_e_voucher(token_hash(token), "H1") is None
