"""Settled and cancelled claims a run at a time: the batch path of `claims.outcomes`.

Each `ClaimSettled` / `ClaimCancelled` becomes `RecordReimbursement` / `CancelReimbursement` and has
exactly the effect `EnrollmentService.execute` gives it; that per-message path stays the reference and
the runtime's fallback. Instead of nine statements a claim, a run of any length takes seven:
1. hold every command id (in one fixed order) and read the command log;
2. lock the persons the new commands name, in psn_no order, and read all their events; each person is
   replayed once;
3. decide message by message in memory, in order, so a later claim sees an earlier one's events,
   snapshot and command record (a repeat within the run is answered like any repeat);
4. append the new events, record the commands and save each person's last snapshot.
A refusal the domain names is answered as on the per-message path; anything else raises, and the
runtime runs the batch again message by message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from libs.contracts import claims as c
from libs.contracts.envelope import Envelope, Payload
from libs.messaging.ports import BatchHandler, Transaction
from services.enrollment import domain as d
from services.enrollment.domain import EnrollmentRefused, Event, PolicyBook, check_person_known
from services.enrollment.service_layer.answers import answer_repeat, payload_hash, refuse
from services.enrollment.service_layer.ports import (
    CommandRecord,
    EnrollmentStore,
    NewEvents,
    SavedSnapshot,
    StoredPerson,
)
from services.enrollment.service_layer.snapshots import decide_snapshot, emit_snapshot
from services.enrollment.service_layer.translate import business_day, to_domain

Reimbursement = d.RecordReimbursement | d.CancelReimbursement


@dataclass
class _Run:
    """What the run has read and decided so far; written when every message is decided."""

    known: dict[str, CommandRecord]
    persons: dict[str, StoredPerson] = field(default_factory=dict)  # as read: `stored_events` is the stream's length
    new_events: dict[str, list[Event]] = field(default_factory=dict)
    records: list[CommandRecord] = field(default_factory=list)
    snapshots: dict[str, SavedSnapshot] = field(default_factory=dict)

    def record(self, record: CommandRecord) -> None:
        self.records.append(record)
        self.known[record.command_id] = record

    def append(self, psn_no: str, events: Sequence[Event]) -> None:
        self.new_events.setdefault(psn_no, []).extend(events)


class ClaimOutcomeRuns:
    def __init__(self, policy: PolicyBook, store_for: Callable[[Transaction], EnrollmentStore]) -> None:
        self.policy = policy
        self.store_for = store_for

    def table(self) -> dict[type[Payload], BatchHandler]:
        return {c.ClaimSettled: self.handle, c.ClaimCancelled: self.handle}

    async def handle(self, tx: Transaction, envelopes: Sequence[Envelope[Any]]) -> None:
        store = self.store_for(tx)
        messages = [_message(env) for env in envelopes]
        ids = [record.command_id for _, _, record in messages]
        await store.lock_commands(ids)
        run = _Run(known=await store.get_commands(ids))
        run.persons = await store.get_persons(
            sorted({command.psn_no for _, command, record in messages if record.command_id not in run.known}))
        for env, command, record in messages:
            self._decide(tx, run, env, command, record)
        await store.append_many([NewEvents(p, events, run.persons[p].stored_events) for p, events in run.new_events.items()])
        await store.record_commands(run.records)
        await store.save_snapshots(list(run.snapshots.values()))

    def _decide(self, tx: Transaction, run: _Run, env: Envelope[Any], command: Reimbursement,
                record: CommandRecord) -> None:
        known = run.known.get(record.command_id)
        if known is not None:
            answer_repeat(tx, env, known, record)
            return
        try:
            version = self._change_person(tx, run, env, command)
        except EnrollmentRefused as refusal:
            refused = replace(record, reason_code=refusal.reason_code, reason=str(refusal))
            run.record(refused)
            refuse(tx, env, refused)
            return
        run.record(replace(record, version=version))

    def _change_person(self, tx: Transaction, run: _Run, env: Envelope[Any], command: Reimbursement) -> int:
        """`EnrollmentService._change_person` on the run's copy of the person; refusals raise before any change."""
        stored = run.persons.get(command.psn_no)
        person = check_person_known(stored.person if stored else None, command)
        assert stored is not None
        new = person.handle(command, self.policy)
        if not new:
            return stored.snapshot_version
        run.append(command.psn_no, new)
        decision = decide_snapshot(stored, _today(env), only_if_changed=True)
        emit_snapshot(tx, decision, correlation_id=command.command_id, causation=env)
        stored.snapshot_version, stored.snapshot, stored.snapshot_on = decision.version, decision.body, decision.on
        run.snapshots[decision.psn_no] = SavedSnapshot(decision.psn_no, decision.version, decision.body, decision.on)
        return decision.version


def _today(env: Envelope[Any]) -> date:
    return business_day(env.occurred_at)


def _message(env: Envelope[Any]) -> tuple[Envelope[Any], Reimbursement, CommandRecord]:
    message: Payload = env.payload
    (command,) = to_domain(message, _today(env))
    return env, command, CommandRecord(command.command_id, message.event_type, command.psn_no, payload_hash(message))
