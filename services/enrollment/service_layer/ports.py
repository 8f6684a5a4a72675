"""What the handlers need from storage: one person's event stream and lock, and the record of each command.

One store works inside one transaction (the runtime's `Transaction`), so the events, the command record
and the outbox rows commit together. `adapters.repository.PgEnrollmentStore` is the Postgres store; the
unit tests use an in-memory one, and one contract test runs against both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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


@dataclass(frozen=True)
class NewEvents:
    psn_no: str
    events: Sequence[Event]
    after: int  # events already in the stream


@dataclass(frozen=True)
class RegisteredClaim:
    """A settled claim in the register of fund payments (service_layer/fund_payments.py)."""

    claim_id: str
    psn_no: str
    settlement_year: int
    fund_paid: int  # fen
    cancel_id: str | None = None  # the cancellation that took it back, once cancelled


@dataclass(frozen=True)
class ClaimRegister:
    """What a run of settled and cancelled claims reads, in one round trip."""

    known_persons: frozenset[str]  # those of the run's persons who are registered, now locked
    claims: dict[str, RegisteredClaim]  # the run's claims already in the register, by claim_id
    year_totals: dict[tuple[str, int], int]  # (psn_no, settlement_year): fen paid by the funds, net of cancellations


@dataclass(frozen=True)
class SavedSnapshot:
    psn_no: str
    version: int
    snapshot: dict[str, Any]
    on: date


class EnrollmentStore(Protocol):
    async def lock_command(self, command_id: str) -> None:
        """Hold concurrent handling of the same command id until this transaction ends."""

    async def get_command(self, command_id: str) -> CommandRecord | None: ...

    async def record_command(self, record: CommandRecord) -> None: ...

    async def get_person(self, psn_no: str, *, for_update: bool = True) -> StoredPerson | None:
        """The person rebuilt from their events; `for_update` locks them until the transaction ends."""

    async def psn_no_by_certno(self, certno: str) -> str | None:
        """The person registered with this resident ID number (for the 1101-like lookup)."""

    async def add_person(self, person: InsuredPerson) -> None:
        """Store a newly registered person and their first events.

        Raises PersonAlreadyRegistered for a taken psn_no and DuplicateIdNumber for a taken ID number.
        """

    async def append_events(self, psn_no: str, events: Sequence[Event], *, after: int) -> None:
        """Append events to a stream that holds `after` events."""

    async def save_snapshot(self, psn_no: str, version: int, snapshot: dict[str, Any], on: date) -> None: ...

    # Set-based forms of the above for the batch path: one statement each, whatever the run's length.

    async def lock_commands(self, command_ids: Sequence[str]) -> None:
        """`lock_command` for each id, taken in one fixed order so two runs never wait on each other in a circle."""

    async def get_commands(self, command_ids: Sequence[str]) -> dict[str, CommandRecord]:
        """The recorded ones among `command_ids`, by id."""

    async def record_commands(self, records: Sequence[CommandRecord]) -> None: ...

    async def get_persons(self, psn_nos: Sequence[str]) -> dict[str, StoredPerson]:
        """`get_person` for each, locked in psn_no order; unknown numbers are left out."""

    async def append_many(self, appends: Sequence[NewEvents]) -> None:
        """`append_events` for each stream; at most one entry per person."""

    async def save_snapshots(self, snapshots: Sequence[SavedSnapshot]) -> None:
        """`save_snapshot` for each; at most one entry per person."""

    async def read_claim_register(self, psn_nos: Sequence[str], claim_ids: Sequence[str],
                                  years: Sequence[tuple[str, int]]) -> ClaimRegister:
        """Lock the persons in psn_no order (whoever changes a person's register holds the person) and
        read the named claims and the year totals of `years` and of the named claims' years."""

    async def write_claim_register(self, added: Sequence[RegisteredClaim], cancelled: Sequence[RegisteredClaim],
                                   totals: Mapping[tuple[str, int], int]) -> None:
        """Add the new claims, mark the cancelled ones (`cancel_id` set) and set the changed year totals."""

    async def stale_snapshots(self, before: date, limit: int) -> list[str]:
        """Persons whose snapshot describes a day before `before`, locked (others skipped)."""
