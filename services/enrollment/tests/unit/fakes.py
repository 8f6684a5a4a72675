"""An in-memory enrollment store over the fake transaction's state (libs.messaging.fakes).

It looks its tables up afresh on every call: a rolled-back savepoint replaces the state's contents.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from libs.masking import mask_id_number
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


class InMemoryStore:
    def __init__(self, state: dict[str, Any]) -> None:
        self._state = state

    @property
    def _tables(self) -> dict[str, dict[Any, Any]]:  # "years" is keyed by (psn_no, year)
        return self._state.setdefault("enrollment", {"persons": {}, "events": {}, "commands": {}, "claims": {}, "years": {}})

    async def lock_command(self, command_id: str) -> None:
        return None  # one transaction at a time

    async def get_command(self, command_id: str) -> CommandRecord | None:
        return self._tables["commands"].get(command_id)

    async def record_command(self, record: CommandRecord) -> None:
        assert record.command_id not in self._tables["commands"]
        self._tables["commands"][record.command_id] = record

    async def get_person(self, psn_no: str, *, for_update: bool = True) -> StoredPerson | None:
        row = self._tables["persons"].get(psn_no)
        if row is None:
            return None
        events = self._tables["events"][psn_no]
        return StoredPerson(InsuredPerson.replay(events), len(events), row["version"], row["snapshot"], row["on"])

    async def psn_no_by_certno(self, certno: str) -> str | None:
        return next((psn for psn, row in self._tables["persons"].items() if row["certno"] == certno), None)

    async def add_person(self, person: InsuredPerson) -> None:
        state = person.state
        if state.psn_no in self._tables["persons"]:
            raise PersonAlreadyRegistered(f"Person {state.psn_no} is already registered.")
        if any(row["certno"] == state.id_number for row in self._tables["persons"].values()):
            raise DuplicateIdNumber(f"Another person is already registered with ID number {mask_id_number(state.id_number)}.")
        self._tables["persons"][state.psn_no] = {"certno": state.id_number, "version": 0, "snapshot": None, "on": None}
        self._tables["events"][state.psn_no] = []
        await self.append_events(state.psn_no, person.events, after=0)

    async def append_events(self, psn_no: str, events: Sequence[Event], *, after: int) -> None:
        stream = self._tables["events"][psn_no]
        assert len(stream) == after, "another writer appended meanwhile"
        stream.extend(events)

    async def save_snapshot(self, psn_no: str, version: int, snapshot: dict[str, Any], on: date) -> None:
        self._tables["persons"][psn_no].update(version=version, snapshot=snapshot, on=on)

    async def lock_commands(self, command_ids: Sequence[str]) -> None:
        return None

    async def get_commands(self, command_ids: Sequence[str]) -> dict[str, CommandRecord]:
        commands = self._tables["commands"]
        return {c: commands[c] for c in command_ids if c in commands}

    async def record_commands(self, records: Sequence[CommandRecord]) -> None:
        for record in records:
            await self.record_command(record)

    async def get_persons(self, psn_nos: Sequence[str]) -> dict[str, StoredPerson]:
        found = {p: await self.get_person(p) for p in sorted(set(psn_nos))}
        return {p: stored for p, stored in found.items() if stored is not None}

    async def append_many(self, appends: Sequence[NewEvents]) -> None:
        assert len({a.psn_no for a in appends}) == len(appends), "one entry per person"
        for a in appends:
            await self.append_events(a.psn_no, a.events, after=a.after)

    async def save_snapshots(self, snapshots: Sequence[SavedSnapshot]) -> None:
        assert len({s.psn_no for s in snapshots}) == len(snapshots), "one entry per person"
        for s in snapshots:
            await self.save_snapshot(s.psn_no, s.version, s.snapshot, s.on)

    async def stale_snapshots(self, before: date, limit: int) -> list[str]:
        rows = self._tables["persons"].items()
        return sorted(p for p, row in rows if row["on"] is not None and row["on"] < before)[:limit]

    async def read_claim_register(self, psn_nos: Sequence[str], claim_ids: Sequence[str],
                                  years: Sequence[tuple[str, int]]) -> ClaimRegister:
        claims = {k: self._tables["claims"][k] for k in claim_ids if k in self._tables["claims"]}
        keys = {*years, *((k.psn_no, k.settlement_year) for k in claims.values())}
        return ClaimRegister(
            known_persons=frozenset(p for p in psn_nos if p in self._tables["persons"]), claims=claims,
            year_totals={key: self._tables["years"][key] for key in keys if key in self._tables["years"]})

    async def write_claim_register(self, added: Sequence[RegisteredClaim], cancelled: Sequence[RegisteredClaim],
                                   totals: Mapping[tuple[str, int], int]) -> None:
        assert not any(a.claim_id in self._tables["claims"] for a in added), "a claim is added once"
        assert all(k.claim_id in self._tables["claims"] for k in cancelled), "only a registered claim is cancelled"
        self._tables["claims"].update({k.claim_id: k for k in [*added, *cancelled]})
        self._tables["years"].update(totals)
