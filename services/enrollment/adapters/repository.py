"""The enrollment store on Postgres: persons (lock, ID number, last snapshot), their events, the command log.

A person is read as the cached state (`PersonCache`) plus the events stored after it, in the same one
statement that would read the whole stream: the statement checks that the event the entry ends with is
still there, as this transaction sees it, with the same writer (`xmin`), and returns every event when it
is not. Appended events are cached with the state the handler built from them, under their row's writer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, cast

import asyncpg
import orjson

from libs.masking import mask_id_number
from libs.pii import PiiVault
from services.enrollment.adapters.event_codec import decode_event, encode_event
from services.enrollment.adapters.person_cache import CachedPerson, PersonCache
from services.enrollment.domain import Event, InsuredPerson
from services.enrollment.domain.errors import DuplicateIdNumber, PersonAlreadyRegistered
from services.enrollment.service_layer.ports import (
    ClaimRegister,
    CommandRecord,
    NewEvents,
    RegisteredClaim,
    SavedSnapshot,
    StoredPerson,
)

_COMMAND_LOCK_SEED = 7_305_1102  # any constant; keeps these advisory locks apart from other uses
_COMMAND_COLUMNS = "command_id, command_type, psn_no, payload_hash, reason_code, reason, version"
_PERSON_COLUMNS = "psn_no, snapshot_version, snapshot, snapshot_on"

# Per person: the events after the cached one when that event is there, written by the cached writer;
# otherwise (no entry, or its event rolled back or not visible here) the whole stream, from seq 1.
_EVENTS_SINCE_CACHED = (
    "SELECT k.psn_no, e.seq, e.xmin AS writer, e.event_type, e.data"
    " FROM unnest($1::text[], $2::int[], $3::xid[]) AS k(psn_no, seq, writer)"
    " CROSS JOIN LATERAL (SELECT CASE WHEN EXISTS (SELECT FROM person_events AS c WHERE c.psn_no = k.psn_no"
    " AND c.seq = k.seq AND c.xmin = k.writer) THEN k.seq ELSE 0 END AS after) AS cached"
    " JOIN person_events AS e ON e.psn_no = k.psn_no AND e.seq > cached.after"
    " ORDER BY k.psn_no, e.seq"
)


def _stored(row: asyncpg.Record) -> Mapping[str, Any]:
    """A stored row as the store reads it: by column name. asyncpg's Record reads so, but its stubs do not
    call it a Mapping (as in settlement's adapters/rows.py)."""
    return cast(Mapping[str, Any], row)


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


class PgEnrollmentStore:
    def __init__(self, conn: asyncpg.Connection, vault: PiiVault, cache: PersonCache | None = None) -> None:
        self.conn = conn
        self.vault = vault
        self.cache = cache if cache is not None else PersonCache(0)
        self._handed_out: dict[str, InsuredPerson] = {}  # read or added through this store, by psn_no

    async def lock_command(self, command_id: str) -> None:
        await self.conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, $2))", command_id, _COMMAND_LOCK_SEED)

    async def get_command(self, command_id: str) -> CommandRecord | None:
        row = await self.conn.fetchrow(
            f"SELECT {_COMMAND_COLUMNS} FROM enrollment_commands WHERE command_id = $1", command_id)
        return CommandRecord(**dict(row)) if row is not None else None

    async def record_command(self, record: CommandRecord) -> None:
        await self.conn.execute(
            "INSERT INTO enrollment_commands (command_id, command_type, psn_no, payload_hash, outcome, reason_code,"
            " reason, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            record.command_id, record.command_type, record.psn_no, record.payload_hash,
            "refused" if record.refused else "done", record.reason_code, record.reason, record.version,
        )

    async def get_person(self, psn_no: str, *, for_update: bool = True) -> StoredPerson | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self.conn.fetchrow(f"SELECT {_PERSON_COLUMNS} FROM persons WHERE psn_no = $1{lock}", psn_no)
        if row is None:
            return None
        return (await self._rebuilt([_stored(row)]))[psn_no]

    async def psn_no_by_certno(self, certno: str) -> str | None:
        return await self.conn.fetchval("SELECT psn_no FROM persons WHERE certno_hash = $1",
                                        self.vault.lookup_hash(certno))

    async def add_person(self, person: InsuredPerson) -> None:
        state = person.state
        try:
            await self.conn.execute(
                "INSERT INTO persons (psn_no, certno_hash, certno_sealed) VALUES ($1, $2, $3)", state.psn_no,
                self.vault.lookup_hash(state.id_number), self.vault.seal("certno", state.id_number))
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name == "persons_pkey":
                raise PersonAlreadyRegistered(
                    f"Person {state.psn_no} is already registered; change the existing record instead.") from None
            raise DuplicateIdNumber(
                f"Another person is already registered with ID number {mask_id_number(state.id_number)}; "
                "look that person up instead of registering again.") from None
        self._handed_out[state.psn_no] = person
        await self.append_events(state.psn_no, person.events, after=0)

    async def append_events(self, psn_no: str, events: Sequence[Event], *, after: int) -> None:
        await self.append_many([NewEvents(psn_no, events, after)])

    async def save_snapshot(self, psn_no: str, version: int, snapshot: dict[str, Any], on: date) -> None:
        await self.conn.execute(
            "UPDATE persons SET snapshot_version = $2, snapshot = $3::jsonb, snapshot_on = $4, updated_at = now()"
            " WHERE psn_no = $1", psn_no, version, _json(snapshot), on)

    async def stale_snapshots(self, before: date, limit: int) -> list[str]:
        rows = await self.conn.fetch(
            "SELECT psn_no FROM persons WHERE snapshot_on < $1 ORDER BY snapshot_on, psn_no LIMIT $2"
            " FOR UPDATE SKIP LOCKED", before, limit)
        return [r["psn_no"] for r in rows]

    # -- set-based, for the batch path --------------------------------------------------------------

    async def lock_commands(self, command_ids: Sequence[str]) -> None:
        # Ordered by the lock key itself: every run takes the locks it shares with another in the same order.
        await self.conn.execute(
            "SELECT pg_advisory_xact_lock(key) FROM (SELECT DISTINCT hashtextextended(id, $2) AS key"
            " FROM unnest($1::text[]) AS id ORDER BY key) AS ordered", list(command_ids), _COMMAND_LOCK_SEED)

    async def get_commands(self, command_ids: Sequence[str]) -> dict[str, CommandRecord]:
        rows = await self.conn.fetch(
            f"SELECT {_COMMAND_COLUMNS} FROM enrollment_commands WHERE command_id = ANY($1::text[])", list(command_ids))
        return {r["command_id"]: CommandRecord(**dict(r)) for r in rows}

    async def record_commands(self, records: Sequence[CommandRecord]) -> None:
        if not records:
            return
        await self.conn.execute(
            "INSERT INTO enrollment_commands (command_id, command_type, psn_no, payload_hash, outcome, reason_code,"
            " reason, version) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],"
            " $6::text[], $7::text[], $8::int[])",
            [r.command_id for r in records], [r.command_type for r in records], [r.psn_no for r in records],
            [r.payload_hash for r in records], ["refused" if r.refused else "done" for r in records],
            [r.reason_code for r in records], [r.reason for r in records], [r.version for r in records],
        )

    async def get_persons(self, psn_nos: Sequence[str]) -> dict[str, StoredPerson]:
        rows = await self.conn.fetch(
            f"SELECT {_PERSON_COLUMNS} FROM persons WHERE psn_no = ANY($1::text[]) ORDER BY psn_no FOR UPDATE",
            list(psn_nos))
        # The events are read after the locks are held, so none appended by another transaction meanwhile is missed.
        return await self._rebuilt([_stored(r) for r in rows]) if rows else {}

    async def append_many(self, appends: Sequence[NewEvents]) -> None:
        rows = [(a.psn_no, seq, *encode_event(event, self.vault), event.command_id)
                for a in appends for seq, event in enumerate(a.events, start=a.after + 1)]
        if not rows:
            return
        writer = await self.conn.fetchval(
            "WITH written AS (INSERT INTO person_events (psn_no, seq, event_type, data, command_id)"
            " SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::jsonb[], $5::text[]) RETURNING xmin)"
            " SELECT xmin FROM written LIMIT 1",
            [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [_json(r[3]) for r in rows],
            [r[4] for r in rows],
        )
        for a in appends:
            person = self._handed_out.get(a.psn_no)
            if person is not None and _built_from(person, a):
                self.cache.put(a.psn_no, CachedPerson(person.state, a.after + len(a.events), writer))

    async def _rebuilt(self, rows: Sequence[Mapping[str, Any]]) -> dict[str, StoredPerson]:
        """The persons of `rows` (from `persons`), each its cached state caught up with the events stored since."""
        cached = {r["psn_no"]: self.cache.get(r["psn_no"]) for r in rows}
        newer: dict[str, list[Mapping[str, Any]]] = {}
        for e in await self.conn.fetch(_EVENTS_SINCE_CACHED, list(cached), [c.seq if c else 0 for c in cached.values()],
                                       [c.writer if c else 0 for c in cached.values()]):
            newer.setdefault(e["psn_no"], []).append(_stored(e))
        found = {}
        for r in rows:
            psn_no = r["psn_no"]
            entry = self._caught_up(psn_no, cached[psn_no], newer.get(psn_no, []))
            person = self._handed_out[psn_no] = InsuredPerson(entry.state)
            snapshot = orjson.loads(r["snapshot"]) if r["snapshot"] is not None else None
            found[psn_no] = StoredPerson(person, entry.seq, r["snapshot_version"], snapshot, r["snapshot_on"])
        return found

    def _caught_up(self, psn_no: str, cached: CachedPerson | None, events: list[Mapping[str, Any]]) -> CachedPerson:
        if cached is not None and not events:
            return cached
        # Events from seq 1 are the whole stream (the entry, if any, did not hold); later ones follow the entry.
        since = cached.state if cached is not None and events[0]["seq"] > 1 else None
        person = InsuredPerson.replay((decode_event(e["event_type"], e["data"], self.vault) for e in events), since=since)
        entry = CachedPerson(person.state, events[-1]["seq"], events[-1]["writer"])
        self.cache.put(psn_no, entry)
        return entry

    async def save_snapshots(self, snapshots: Sequence[SavedSnapshot]) -> None:
        if not snapshots:
            return
        await self.conn.execute(
            "UPDATE persons AS p SET snapshot_version = s.version, snapshot = s.snapshot, snapshot_on = s.day,"
            " updated_at = now() FROM unnest($1::text[], $2::int[], $3::jsonb[], $4::date[]) AS s(psn_no, version,"
            " snapshot, day) WHERE p.psn_no = s.psn_no",
            [s.psn_no for s in snapshots], [s.version for s in snapshots], [_json(s.snapshot) for s in snapshots],
            [s.on for s in snapshots],
        )

    # -- the register of settled claims' fund payments ----------------------------------------------

    async def read_claim_register(self, psn_nos: Sequence[str], claim_ids: Sequence[str],
                                  years: Sequence[tuple[str, int]]) -> ClaimRegister:
        # Two round trips: the locks, then the read. In READ COMMITTED each statement sees what was
        # committed when it started, so the read must start after the locks are held: whoever committed
        # a change of these persons' registers held the same locks (taken in psn_no order by all).
        locked = await self.conn.fetch(
            "SELECT psn_no FROM persons WHERE psn_no = ANY($1::text[]) ORDER BY psn_no FOR UPDATE", list(psn_nos))
        row = await self.conn.fetchrow(
            "WITH claims AS (SELECT claim_id, psn_no, settlement_year, fund_paid, cancel_id FROM claim_fund_payments"
            "  WHERE claim_id = ANY($1::text[]))"
            " SELECT ARRAY(SELECT (claim_id, psn_no, settlement_year, fund_paid, cancel_id) FROM claims) AS claims,"
            "  ARRAY(SELECT (psn_no, settlement_year, fund_paid) FROM fund_payment_years WHERE (psn_no, settlement_year) IN"
            "   (SELECT * FROM unnest($2::text[], $3::int[]) UNION SELECT psn_no, settlement_year FROM claims)) AS years",
            list(claim_ids), [p for p, _ in years], [y for _, y in years],
        )
        assert row is not None  # a SELECT without FROM returns its one row
        return ClaimRegister(
            known_persons=frozenset(r["psn_no"] for r in locked),
            claims={r[0]: RegisteredClaim(*r) for r in row["claims"]},
            year_totals={(psn_no, year): fen for psn_no, year, fen in row["years"]},
        )

    async def write_claim_register(self, added: Sequence[RegisteredClaim], cancelled: Sequence[RegisteredClaim],
                                   totals: Mapping[tuple[str, int], int]) -> None:
        await self.conn.execute(
            "WITH added AS (INSERT INTO claim_fund_payments (claim_id, psn_no, settlement_year, fund_paid, cancel_id,"
            "  cancelled_at) SELECT a.*, CASE WHEN a.cancel_id IS NULL THEN NULL ELSE now() END"
            "  FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[], $5::text[])"
            "  AS a(claim_id, psn_no, settlement_year, fund_paid, cancel_id)),"
            " cancelled AS (UPDATE claim_fund_payments AS k SET cancel_id = c.cancel_id, cancelled_at = now()"
            "  FROM unnest($6::text[], $7::text[]) AS c(claim_id, cancel_id) WHERE k.claim_id = c.claim_id)"
            " INSERT INTO fund_payment_years (psn_no, settlement_year, fund_paid)"
            " SELECT * FROM unnest($8::text[], $9::int[], $10::bigint[])"
            " ON CONFLICT (psn_no, settlement_year) DO UPDATE SET fund_paid = EXCLUDED.fund_paid, updated_at = now()",
            [a.claim_id for a in added], [a.psn_no for a in added], [a.settlement_year for a in added],
            [a.fund_paid for a in added], [a.cancel_id for a in added],
            [k.claim_id for k in cancelled], [k.cancel_id for k in cancelled],
            [p for p, _ in totals], [y for _, y in totals], list(totals.values()),
        )


def _built_from(person: InsuredPerson, appended: NewEvents) -> bool:
    """Whether the person's state is the stream after `appended`: read at `after`, then exactly these events handled.

    (A state counts the events it reflects in `version`.) Anything else is left for the next read to replay.
    """
    return (len(appended.events) > 0 and person.state.version == appended.after + len(appended.events)
            and len(person.events) == len(appended.events)
            and all(mine is theirs for mine, theirs in zip(person.events, appended.events, strict=False)))
