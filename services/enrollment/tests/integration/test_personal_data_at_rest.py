"""A dump of enrollment's database shows no ID number or name in clear; the same ID still cannot register twice."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import orjson
import pytest

from libs.masking import mask_id_number
from services.enrollment.adapters.repository import PgEnrollmentStore
from services.enrollment.adapters.sealing import seal_clear_rows
from services.enrollment.domain.errors import DuplicateIdNumber
from services.enrollment.tests.integration.conftest import someone_new
from services.enrollment.tests.unit.builders import VAULT, person

pytestmark = pytest.mark.integration

PG_DUMP = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"))


def dump(namespace) -> str:
    """The database as `pg_dump` writes it: what a stolen backup would show."""
    s = namespace.stack
    env = {**os.environ, "PGPASSWORD": s.pgpassword}
    done = subprocess.run([str(PG_DUMP[-1]), "-h", s.pghost, "-p", str(s.pgport), "-U", s.pguser, "--data-only",
                           namespace.prefix + "enrollment"], env=env, capture_output=True, text=True, check=True)
    return done.stdout


@pytest.mark.skipif(not PG_DUMP, reason="pg_dump is installed with Debian's postgresql package")
async def test_a_database_dump_shows_neither_the_id_number_nor_the_name(connect, own_namespace) -> None:
    conn = await connect()
    someone = someone_new()
    async with conn.transaction():
        await PgEnrollmentStore(conn, VAULT).add_person(someone)
    text = dump(own_namespace)
    state = someone.state
    assert someone.state.psn_no in text  # the dump is of the right database
    assert state.id_number not in text and state.id_number[6:14] not in text and state.name not in text
    stored = await PgEnrollmentStore(conn, VAULT).get_person(state.psn_no, for_update=False)
    assert stored is not None and stored.person.state.id_number == state.id_number


async def test_the_same_id_number_cannot_be_registered_under_a_second_psn_no(connect) -> None:
    conn = await connect()
    first = someone_new()
    async with conn.transaction():
        await PgEnrollmentStore(conn, VAULT).add_person(first)
    again = person(born=first.state.birth_date)
    assert again.state.id_number == first.state.id_number and again.state.psn_no != first.state.psn_no
    with pytest.raises(DuplicateIdNumber) as refused:
        async with conn.transaction():
            await PgEnrollmentStore(conn, VAULT).add_person(again)
    assert first.state.id_number not in str(refused.value) and mask_id_number(first.state.id_number) in str(refused.value)


async def test_rows_an_older_version_wrote_in_clear_are_sealed_at_start_and_still_read(connect) -> None:
    conn = await connect()
    someone = someone_new()
    state = someone.state
    async with conn.transaction():
        await PgEnrollmentStore(conn, VAULT).add_person(someone)
        # as the version before sealing stored them
        await conn.execute("UPDATE persons SET certno = $2, certno_hash = NULL, certno_sealed = NULL WHERE psn_no = $1",
                           state.psn_no, state.id_number)
        await conn.execute("UPDATE person_events SET data = data || jsonb_build_object('id_number', $2::text, 'name',"
                           " $3::text) WHERE psn_no = $1 AND event_type = 'PersonRegistered'",
                           state.psn_no, state.id_number, state.name)
    assert await seal_clear_rows(conn, VAULT) >= 2
    row = await conn.fetchrow("SELECT p.certno, p.certno_hash, e.data FROM persons AS p JOIN person_events AS e"
                              " USING (psn_no) WHERE psn_no = $1 AND e.event_type = 'PersonRegistered'", state.psn_no)
    data = orjson.loads(row["data"])
    assert row["certno"] is None and row["certno_hash"] == VAULT.lookup_hash(state.id_number)
    assert state.id_number not in row["data"] and state.name not in row["data"] and data["id_number"].startswith("pii:")
    stored = await PgEnrollmentStore(conn, VAULT).get_person(state.psn_no, for_update=False)
    assert stored is not None and (stored.person.state.id_number, stored.person.state.name) == (state.id_number, state.name)
    assert await seal_clear_rows(conn, VAULT) == 0
