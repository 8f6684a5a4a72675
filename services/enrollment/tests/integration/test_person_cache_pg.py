"""The cache of replayed persons on Postgres: what it serves is always what a fresh replay gives.

These tests commit (a cache outlives transactions), so they run in a namespace of their own. Each
"process" is a `PersonCache` and stores made on it; a store without a cache replays the whole stream.
"""

from __future__ import annotations

import itertools

import asyncpg
import pytest

from services.enrollment.adapters.person_cache import PersonCache
from services.enrollment.adapters.repository import PgEnrollmentStore
from services.enrollment.domain import RecordFundPaymentYear
from services.enrollment.domain.state import PersonState
from services.enrollment.tests.integration.conftest import Connect, registered
from services.enrollment.tests.unit.builders import VAULT, next_id, policy

pytestmark = pytest.mark.integration

_MARKS: dict[int, str] = {}  # each recorded change gets a year of its own, named by its mark
_YEARS = itertools.count(1900)


async def record_claim(store: PgEnrollmentStore, psn_no: str, mark: str) -> PersonState:
    """Read the person, let them record a change (a year with fund payments, named `mark`), append it."""
    stored = await store.get_person(psn_no)
    assert stored is not None
    year = next(_YEARS)
    _MARKS[year] = mark
    new = stored.person.handle(RecordFundPaymentYear(command_id=next_id(), psn_no=psn_no, settlement_year=year,
                                                     paid=True, claim_id=mark), policy())
    await store.append_events(psn_no, new, after=stored.stored_events)
    return stored.person.state


async def fresh_replay(conn: asyncpg.Connection, psn_no: str) -> tuple[PersonState, int]:
    stored = await PgEnrollmentStore(conn, VAULT).get_person(psn_no, for_update=False)
    assert stored is not None
    return stored.person.state, stored.stored_events


async def cached_read(conn: asyncpg.Connection, cache: PersonCache, psn_no: str) -> tuple[PersonState, int]:
    stored = await PgEnrollmentStore(conn, VAULT, cache).get_person(psn_no, for_update=False)
    assert stored is not None
    return stored.person.state, stored.stored_events


def claims(state: PersonState) -> list[str]:
    """The marks of the changes the state holds, in the order they were recorded."""
    return [_MARKS[year] for year in sorted(state.fund_paid_years)]


async def test_a_cached_person_is_the_person_a_fresh_replay_gives_and_is_reused(connect: Connect) -> None:
    conn, cache = await connect(), PersonCache(100)
    psn_no = await registered(conn, cache)
    for n in range(5):
        async with conn.transaction():
            await record_claim(PgEnrollmentStore(conn, VAULT, cache), psn_no, f"C{n}")
        async with conn.transaction():
            assert await cached_read(conn, cache, psn_no) == await fresh_replay(conn, psn_no)
    entry = cache.get(psn_no)
    assert entry is not None and entry.seq == 6 and claims(entry.state) == [f"C{n}" for n in range(5)]
    stored = await PgEnrollmentStore(conn, VAULT, cache).get_person(psn_no, for_update=False)
    assert stored is not None and stored.person.state is entry.state  # served from the cache, not replayed


async def test_a_handler_changing_its_person_leaves_the_cached_state_alone(connect: Connect) -> None:
    conn, cache = await connect(), PersonCache(100)
    psn_no = await registered(conn, cache)
    before = await cached_read(conn, cache, psn_no)
    async with conn.transaction():
        stored = await PgEnrollmentStore(conn, VAULT, cache).get_person(psn_no)
        assert stored is not None
        stored.person.handle(RecordFundPaymentYear(command_id=next_id(), psn_no=psn_no, settlement_year=1800,
                                                   paid=True, claim_id="NOT-STORED"), policy())
    assert await cached_read(conn, cache, psn_no) == before == await fresh_replay(conn, psn_no)


async def test_a_rolled_back_append_never_shows_in_a_later_read(connect: Connect) -> None:
    conn, cache = await connect(), PersonCache(100)
    psn_no = await registered(conn, cache)
    async with conn.transaction():
        await record_claim(PgEnrollmentStore(conn, VAULT, cache), psn_no, "KEPT")
    rolled_back = conn.transaction()
    await rolled_back.start()
    await record_claim(PgEnrollmentStore(conn, VAULT, cache), psn_no, "ROLLED-BACK")
    await rolled_back.rollback()
    state, seq = await cached_read(conn, cache, psn_no)
    assert (claims(state), seq) == (["KEPT"], 2)
    assert (state, seq) == await fresh_replay(conn, psn_no)


async def test_a_different_event_committed_at_a_rolled_back_position_is_read_as_stored(connect: Connect) -> None:
    """The same stream length is not the same stream: the entry is checked against its event's writer."""
    conn, cache = await connect(), PersonCache(100)
    psn_no = await registered(conn, cache)
    rolled_back = conn.transaction()
    await rolled_back.start()
    await record_claim(PgEnrollmentStore(conn, VAULT, cache), psn_no, "ROLLED-BACK")
    await rolled_back.rollback()
    other = await connect()  # another process, with a cache of its own
    async with other.transaction():
        await record_claim(PgEnrollmentStore(other, VAULT, PersonCache(100)), psn_no, "COMMITTED")
    state, seq = await cached_read(conn, cache, psn_no)
    assert (claims(state), seq) == (["COMMITTED"], 2)
    assert (state, seq) == await fresh_replay(conn, psn_no)


async def test_a_rolled_back_savepoint_never_shows_later_in_the_same_transaction(connect: Connect) -> None:
    conn, cache = await connect(), PersonCache(100)
    psn_no = await registered(conn, cache)
    async with conn.transaction():
        savepoint = conn.transaction()
        await savepoint.start()
        await record_claim(PgEnrollmentStore(conn, VAULT, cache), psn_no, "UNDONE")
        await savepoint.rollback()
        assert claims((await cached_read(conn, cache, psn_no))[0]) == []
        await record_claim(PgEnrollmentStore(conn, VAULT, cache), psn_no, "DONE")
    assert claims((await cached_read(conn, cache, psn_no))[0]) == ["DONE"]
    assert await cached_read(conn, cache, psn_no) == await fresh_replay(conn, psn_no)


async def test_work_not_yet_committed_is_not_served_to_another_transaction_of_the_process(connect: Connect) -> None:
    writer, reader, cache = await connect(), await connect(), PersonCache(100)
    psn_no = await registered(writer, cache)
    pending = writer.transaction()
    await pending.start()
    await record_claim(PgEnrollmentStore(writer, VAULT, cache), psn_no, "PENDING")
    assert claims((await cached_read(reader, cache, psn_no))[0]) == []
    await pending.commit()
    assert claims((await cached_read(reader, cache, psn_no))[0]) == ["PENDING"]


async def test_events_another_process_appends_are_read(connect: Connect) -> None:
    ours, theirs = await connect(), await connect()
    our_cache, their_cache = PersonCache(100), PersonCache(100)
    psn_no = await registered(ours, our_cache)
    async with ours.transaction():
        await record_claim(PgEnrollmentStore(ours, VAULT, our_cache), psn_no, "OURS")
    async with theirs.transaction():
        await record_claim(PgEnrollmentStore(theirs, VAULT, their_cache), psn_no, "THEIRS")
    async with ours.transaction():
        await record_claim(PgEnrollmentStore(ours, VAULT, our_cache), psn_no, "OURS-AGAIN")
    state, seq = await cached_read(ours, our_cache, psn_no)
    assert (claims(state), seq) == (["OURS", "THEIRS", "OURS-AGAIN"], 4)
    assert (state, seq) == await fresh_replay(ours, psn_no)


async def test_reading_more_people_than_the_cache_holds_keeps_only_the_most_recent(connect: Connect) -> None:
    conn, cache = await connect(), PersonCache(2)
    people = [await registered(conn) for _ in range(3)]
    async with conn.transaction():
        found = await PgEnrollmentStore(conn, VAULT, cache).get_persons(people)
    assert sorted(found) == sorted(people) and len(cache) == 2
    assert [p in cache for p in sorted(people)] == [False, True, True]  # read in psn_no order
    async with conn.transaction():
        for psn_no in people:
            assert await cached_read(conn, cache, psn_no) == await fresh_replay(conn, psn_no)
