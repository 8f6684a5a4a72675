"""What the handlers need from storage: one person's event stream and lock, and the record of each command.

One store works inside one transaction (the runtime's `Transaction`), so the events, the command record
and the outbox rows commit together. `adapters.repository.PgEnrollmentStore` is the Postgres store; the
unit tests use an in-memory one, and one contract test runs against both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from services.enrollment.domain import Event, InsuredPerson


@dataclass
class StoredPerson:
    person: InsuredPerson
    stored_events: int  # events already in the stream; new ones follow
    snapshot_version: int = 0  # the last CoverageChanged version published (0: none yet)
    snapshot: dict[str, Any] | None = None  # that snapshot, in its JSON form
    snapshot_on: date | None = None  # the day it described


@dataclass(frozen=True)
class CommandRecord:
    command_id: str
    command_type: str
    psn_no: str | None
    payload_hash: str
    reason_code: str | None = None  # set when refused
    reason: str | None = None
    version: int | None = None  # the snapshot version published for it, when done

    @property
    def refused(self) -> bool:
        return self.reason_code is not None


class EnrollmentStore(Protocol):
    async def lock_command(self, command_id: str) -> None:
        """Hold concurrent handling of the same command id until this transaction ends."""

    async def get_command(self, command_id: str) -> CommandRecord | None: ...

    async def record_command(self, record: CommandRecord) -> None: ...

    async def get_person(self, psn_no: str, *, for_update: bool = True) -> StoredPerson | None:
        """The person rebuilt from their events; `for_update` locks them until the transaction ends."""

    async def add_person(self, person: InsuredPerson) -> None:
        """Store a newly registered person and their first events.

        Raises PersonAlreadyRegistered for a taken psn_no and DuplicateIdNumber for a taken ID number.
        """

    async def append_events(self, psn_no: str, events: Sequence[Event], *, after: int) -> None:
        """Append events to a stream that holds `after` events."""

    async def save_snapshot(self, psn_no: str, version: int, snapshot: dict[str, Any], on: date) -> None: ...

    async def stale_snapshots(self, before: date, limit: int) -> list[str]:
        """Persons whose snapshot describes a day before `before`, locked (others skipped)."""
