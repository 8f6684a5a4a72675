"""Enrollment's handlers: a command (from an office, over Kafka or HTTP) or another service's fact, in one transaction.

`execute` is the unit of work every entrypoint uses. Inside the runtime's transaction it
1. holds the command id and answers a repeat from the command log (a different body under a used id is
   refused with COMMAND_ID_REUSED);
2. runs the verb's handler inside a savepoint: lock the person, let the aggregate decide, append its
   events, queue the new `CoverageChanged`;
3. on a refusal, undoes the savepoint, so nothing is half-written, and queues `EnrollmentCommandRefused`;
4. records the outcome under the command id.
The outbox rows commit with the rest; the relay publishes them afterwards.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import date
from typing import Any

from libs.contracts import claims as c
from libs.contracts import enrollment as w
from libs.contracts import wallet
from libs.contracts.envelope import Envelope, Payload
from libs.messaging.ports import BatchHandler, Transaction
from services.enrollment import domain as d
from services.enrollment.domain import (
    EnrollmentRefused,
    InsuredPerson,
    PolicyBook,
    check_not_registered,
    check_person_known,
)
from services.enrollment.domain.errors import InvalidPersonDetails, UnknownPerson
from services.enrollment.service_layer.answers import answer_repeat, outcome, payload_hash, refuse
from services.enrollment.service_layer.fund_payments import ClaimFundPayments
from services.enrollment.service_layer.ports import CommandRecord, EnrollmentStore, StoredPerson
from services.enrollment.service_layer.snapshots import publish_snapshot
from services.enrollment.service_layer.translate import business_day, to_domain

StoreFor = Callable[[Transaction], EnrollmentStore]
Verb = Callable[[EnrollmentStore, Transaction, Envelope[Any], tuple[Any, ...], date], Awaitable[int]]

class EnrollmentService:
    def __init__(self, policy: PolicyBook, store_for: StoreFor) -> None:
        self.policy = policy
        self.store_for = store_for
        self._verbs: dict[type[Payload], Verb] = {w.RegisterPerson: self._register}
        self._verbs.update(dict.fromkeys((w.LinkRelative, w.UnlinkRelative), self._relatives))
        self.fund_payments = ClaimFundPayments(policy, store_for)

    def commands_table(self) -> dict[type[Payload], Any]:
        return dict.fromkeys(w.COMMANDS, self.on_message)

    def wallet_table(self) -> dict[type[Payload], Any]:
        return {wallet.RelativePremiumPaid: self.on_message}

    def claims_table(self) -> dict[type[Payload], Any]:
        """Settled and cancelled claims into the register of fund payments (service_layer/fund_payments.py)."""
        return {c.ClaimSettled: self.fund_payments.handle_one, c.ClaimCancelled: self.fund_payments.handle_one}

    def claims_batch_table(self) -> dict[type[Payload], BatchHandler]:
        """Runs of settled or cancelled claims: the same handler, a run at a time."""
        return self.fund_payments.table()

    def reimbursements_table(self) -> dict[type[Payload], BatchHandler]:
        """Settled and withdrawn manual reimbursements, into the same register (a run at a time)."""
        return self.fund_payments.reimbursements_table()

    async def on_message(self, tx: Transaction, env: Envelope[Any]) -> w.CommandOutcome:
        return await self.execute(tx, env)

    async def execute(self, tx: Transaction, env: Envelope[Any]) -> w.CommandOutcome:
        message: Payload = env.payload
        today = business_day(env.occurred_at)
        commands = to_domain(message, today)
        first = commands[0]
        store = self.store_for(tx)
        await store.lock_command(first.command_id)
        record = CommandRecord(first.command_id, message.event_type, first.psn_no, payload_hash(message))
        known = await store.get_command(record.command_id)
        if known is not None:
            return answer_repeat(tx, env, known, record)
        verb = self._verbs.get(type(message), self._change_person)
        try:
            async with tx.savepoint():
                version = await verb(store, tx, env, commands, today)
        except EnrollmentRefused as refusal:
            record = replace(record, reason_code=refusal.reason_code, reason=refusal.sentence)
            await store.record_command(record)
            refuse(tx, env, record)
            return outcome(record)
        record = replace(record, version=version)
        await store.record_command(record)
        return outcome(record)

    async def _register(self, store: EnrollmentStore, tx: Transaction, env: Envelope[Any],
                        commands: tuple[Any, ...], today: date) -> int:
        registration, *enrollment = commands
        existing = await store.get_person(registration.psn_no)
        check_not_registered(existing.person if existing else None, registration)
        person = InsuredPerson.register(registration)
        if person.state.id_number in registration.psn_no.upper():
            raise InvalidPersonDetails("The person number (人员编号) must not contain the ID number; assign an opaque number.")
        for command in enrollment:
            person.handle(command, self.policy)
        await store.add_person(person)
        stored = StoredPerson(person, stored_events=len(person.events))
        return await publish_snapshot(store, tx, stored, today, correlation_id=registration.command_id, causation=env)

    async def _change_person(self, store: EnrollmentStore, tx: Transaction, env: Envelope[Any],
                             commands: tuple[Any, ...], today: date) -> int:
        (command,) = commands
        stored = await store.get_person(command.psn_no)
        person = check_person_known(stored.person if stored else None, command)
        assert stored is not None
        new = person.handle(command, self.policy)
        if not new:
            return stored.snapshot_version  # nothing changed (the same group again, say)
        await store.append_events(command.psn_no, new, after=stored.stored_events)
        return await publish_snapshot(store, tx, stored, today, correlation_id=command.command_id, causation=env)

    async def _relatives(self, store: EnrollmentStore, tx: Transaction, env: Envelope[Any],
                         commands: tuple[Any, ...], today: date) -> int:
        """Link or unlink both people, each recording their own side; locked in psn_no order."""
        (command,) = commands
        loaded = {psn_no: await store.get_person(psn_no) for psn_no in sorted({command.psn_no, command.relative_psn_no})}
        stored = loaded[command.psn_no]
        person = check_person_known(stored.person if stored else None, command)
        new = person.handle(command, self.policy)  # refuses a relation to oneself before anything else
        relative = loaded[command.relative_psn_no]
        if relative is None:
            raise UnknownPerson(
                f"No insured person {command.relative_psn_no} is registered; check the relative's person number "
                "(a relative is registered before being linked).")
        inverse = relative.person.handle(_inverse(command), self.policy)
        assert stored is not None
        await store.append_events(command.psn_no, new, after=stored.stored_events)
        await store.append_events(command.relative_psn_no, inverse, after=relative.stored_events)
        await publish_snapshot(store, tx, relative, today, correlation_id=command.command_id, causation=env)
        return await publish_snapshot(store, tx, stored, today, correlation_id=command.command_id, causation=env)


def _inverse(command: d.LinkRelative | d.UnlinkRelative) -> d.LinkRelative | d.UnlinkRelative:
    ids = {"command_id": f"{command.command_id}/inverse", "psn_no": command.relative_psn_no}
    if isinstance(command, d.LinkRelative):
        return d.LinkRelative(**ids, relative_psn_no=command.psn_no, relation=command.relation.inverse())
    return d.UnlinkRelative(**ids, relative_psn_no=command.psn_no)
