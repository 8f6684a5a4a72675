"""The enrollment store on Postgres: persons (lock, ID number, last snapshot), their events, the command log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import asyncpg
import orjson

from libs.masking import mask_id_number
from services.enrollment.adapters.event_codec import decode_event, encode_event
from services.enrollment.domain import Event, InsuredPerson
from services.enrollment.domain.errors import DuplicateIdNumber, PersonAlreadyRegistered
from services.enrollment.service_layer.ports import CommandRecord, NewEvents, SavedSnapshot, StoredPerson

_COMMAND_LOCK_SEED = 7_305_1102  # any constant; keeps these advisory locks apart from other uses
_COMMAND_COLUMNS = "command_id, command_type, psn_no, payload_hash, reason_code, reason, version"


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


class PgEnrollmentStore:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

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
        row = await self.conn.fetchrow(
            f"SELECT snapshot_version, snapshot, snapshot_on FROM persons WHERE psn_no = $1{lock}", psn_no)
        if row is None:
            return None
        rows = await self.conn.fetch(
            "SELECT event_type, data FROM person_events WHERE psn_no = $1 ORDER BY seq", psn_no)
        person = InsuredPerson.replay(decode_event(r["event_type"], orjson.loads(r["data"])) for r in rows)
        snapshot = orjson.loads(row["snapshot"]) if row["snapshot"] is not None else None
        return StoredPerson(person, len(rows), row["snapshot_version"], snapshot, row["snapshot_on"])

    async def add_person(self, person: InsuredPerson) -> None:
        state = person.state
        try:
            await self.conn.execute("INSERT INTO persons (psn_no, certno) VALUES ($1, $2)", state.psn_no, state.id_number)
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name == "persons_pkey":
                raise PersonAlreadyRegistered(
                    f"Person {state.psn_no} is already registered; change the existing record instead.") from None
            raise DuplicateIdNumber(
                f"Another person is already registered with ID number {mask_id_number(state.id_number)}; "
                "look that person up instead of registering again.") from None
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
            "SELECT psn_no, snapshot_version, snapshot, snapshot_on FROM persons WHERE psn_no = ANY($1::text[])"
            " ORDER BY psn_no FOR UPDATE", list(psn_nos))
        if not rows:
            return {}
        # Read after the locks are held, so no event appended by another transaction meanwhile is missed.
        history: dict[str, list[Event]] = {r["psn_no"]: [] for r in rows}
        for e in await self.conn.fetch(
                "SELECT psn_no, event_type, data FROM person_events WHERE psn_no = ANY($1::text[]) ORDER BY psn_no, seq",
                list(history)):
            history[e["psn_no"]].append(decode_event(e["event_type"], orjson.loads(e["data"])))
        return {
            r["psn_no"]: StoredPerson(
                InsuredPerson.replay(history[r["psn_no"]]), len(history[r["psn_no"]]), r["snapshot_version"],
                orjson.loads(r["snapshot"]) if r["snapshot"] is not None else None, r["snapshot_on"])
            for r in rows
        }

    async def append_many(self, appends: Sequence[NewEvents]) -> None:
        rows = [(a.psn_no, seq, *encode_event(event), event.command_id)
                for a in appends for seq, event in enumerate(a.events, start=a.after + 1)]
        if not rows:
            return
        await self.conn.execute(
            "INSERT INTO person_events (psn_no, seq, event_type, data, command_id)"
            " SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::jsonb[], $5::text[])",
            [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [_json(r[3]) for r in rows],
            [r[4] for r in rows],
        )

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
