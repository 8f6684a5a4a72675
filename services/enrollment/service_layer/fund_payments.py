"""The register of settled claims' fund payments: `claims.outcomes` into the no-claim-year incentive.

The incentive (零报销, docs/enrollment.md) asks one thing of a settlement year: did the funds pay
anything for the person. Each `ClaimSettled` is one row in the register (`claim_id`, person, year,
`fund_pay_sumamt`) and adds to the person's year total; its `ClaimCancelled` marks the row and takes
the amount back, so cancelling one claim leaves the year paid while another paid claim stands. Only
when a year's total crosses zero does the person change: `RecordFundPaymentYear` appends one
`FundPaymentYearChanged` to their stream and the snapshot is decided as for any change. Most claims
are therefore two narrow rows and no replay, no event, no snapshot (a person's stream used to grow
by an event, a command record and a rewritten snapshot a claim).

A run of any length takes three statements, plus four when some year crossed zero:
1. lock the run's persons (psn_no order), then read its claims and year totals;
2. decide message by message in memory, in order (a cancellation sees a settlement earlier in the run);
3. write the new and cancelled rows and the changed totals;
4. for the years that crossed zero: the persons' streams, events and snapshots (`get_persons`,
   `append_many`, `save_snapshots`).
The per-message handler is this with a run of one. Refusals are published as `EnrollmentCommandRefused`
under the message's command id and change nothing; a repeat (the same claim with the same person, year
and amount; the same cancellation) changes nothing and is not answered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from libs.contracts import claims as c
from libs.contracts.envelope import Envelope, Payload
from libs.messaging.ports import BatchHandler, Transaction
from libs.money import format_yuan
from services.enrollment import domain as d
from services.enrollment.domain import EnrollmentRefused, Event, PolicyBook
from services.enrollment.domain.errors import CommandIdReused, InvalidAmount, ReimbursementNotFound, UnknownPerson
from services.enrollment.service_layer.answers import payload_hash, refuse
from services.enrollment.service_layer.ports import (
    ClaimRegister,
    CommandRecord,
    EnrollmentStore,
    NewEvents,
    RegisteredClaim,
    SavedSnapshot,
    StoredPerson,
)
from services.enrollment.service_layer.snapshots import decide_snapshot, emit_snapshot
from services.enrollment.service_layer.translate import business_day, local_day

Outcome = c.ClaimSettled | c.ClaimCancelled


def command_id(message: Outcome) -> str:
    """The id the message's answers and events carry, as for any command of the service."""
    if isinstance(message, c.ClaimSettled):
        return f"ClaimSettled:{message.claim_id}"
    return f"ClaimCancelled:{message.claim_id}:{message.cancel_id}"


@dataclass
class _Run:
    """The register as the run has changed it so far; written when every message is decided."""

    register: ClaimRegister
    claims: dict[str, RegisteredClaim] = field(init=False)  # the register's, as the run changed them
    totals: dict[tuple[str, int], int] = field(init=False)
    added: dict[str, RegisteredClaim] = field(default_factory=dict)
    cancelled: dict[str, RegisteredClaim] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.claims = dict(self.register.claims)
        self.totals = dict(self.register.year_totals)

    def settle(self, m: c.ClaimSettled) -> d.RecordFundPaymentYear | None:
        self._check_person(m.psn_no)
        fund_paid = m.amounts.fund_pay_sumamt
        if fund_paid < 0:
            raise InvalidAmount(f"Claim {m.claim_id} reports a negative fund payment; send the cancellation instead.")
        claim = RegisteredClaim(m.claim_id, m.psn_no, local_day(m.setl_time).year, fund_paid)
        known = self.claims.get(m.claim_id)
        if known is not None:
            if replace(known, cancel_id=None) != claim:
                raise CommandIdReused(
                    f"Claim {m.claim_id} was already settled for person {known.psn_no} in "
                    f"{known.settlement_year} with a fund payment of {format_yuan(known.fund_paid)} yuan; this message "
                    "says otherwise. Settlement sends a claim once: report it to the platform's operators.")
            return None  # a repeat
        self.claims[m.claim_id] = self.added[m.claim_id] = claim
        return self._add(claim, fund_paid, command_id(m))

    def cancel(self, m: c.ClaimCancelled) -> d.RecordFundPaymentYear | None:
        self._check_person(m.psn_no)
        known = self.claims.get(m.claim_id)
        if known is None or known.psn_no != m.psn_no:
            raise ReimbursementNotFound(f"Claim {m.claim_id} was never recorded for person {m.psn_no}.")
        if known.cancel_id == m.cancel_id:
            return None  # a repeat
        if known.cancel_id is not None:
            raise ReimbursementNotFound(
                f"Claim {m.claim_id} was already cancelled (cancellation {known.cancel_id}); nothing is left to cancel.")
        cancelled = replace(known, cancel_id=m.cancel_id)
        self.claims[m.claim_id] = cancelled
        if m.claim_id in self.added:  # settled earlier in this run: it goes in cancelled
            self.added[m.claim_id] = cancelled
        else:
            self.cancelled[m.claim_id] = cancelled
        return self._add(known, -known.fund_paid, command_id(m))

    def _check_person(self, psn_no: str) -> None:
        if psn_no not in self.register.known_persons:
            raise UnknownPerson(f"No insured person {psn_no} is registered; nothing can be recorded for them.")

    def _add(self, claim: RegisteredClaim, fen: int, command: str) -> d.RecordFundPaymentYear | None:
        key = (claim.psn_no, claim.settlement_year)
        before = self.totals.get(key, 0)
        self.totals[key] = after = before + fen
        if (before > 0) == (after > 0):
            return None
        return d.RecordFundPaymentYear(command_id=command, psn_no=claim.psn_no, settlement_year=claim.settlement_year,
                                       paid=after > 0, claim_id=claim.claim_id)

    def changed_totals(self) -> dict[tuple[str, int], int]:
        return {key: fen for key, fen in self.totals.items() if self.register.year_totals.get(key) != fen}


class ClaimFundPayments:
    def __init__(self, policy: PolicyBook, store_for: Callable[[Transaction], EnrollmentStore]) -> None:
        self.policy = policy
        self.store_for = store_for

    def table(self) -> dict[type[Payload], BatchHandler]:
        return {c.ClaimSettled: self.handle, c.ClaimCancelled: self.handle}

    async def handle_one(self, tx: Transaction, env: Envelope[Any]) -> None:
        await self.handle(tx, [env])

    async def handle(self, tx: Transaction, envelopes: Sequence[Envelope[Any]]) -> None:
        store = self.store_for(tx)
        messages: list[Outcome] = [env.payload for env in envelopes]
        settled = [m for m in messages if isinstance(m, c.ClaimSettled)]
        run = _Run(await store.read_claim_register(
            sorted({m.psn_no for m in messages}), sorted({m.claim_id for m in messages}),
            sorted({(m.psn_no, local_day(m.setl_time).year) for m in settled})))
        answers: list[tuple[Envelope[Any], d.RecordFundPaymentYear | CommandRecord]] = []  # in the messages' order
        for env, message in zip(envelopes, messages, strict=True):
            try:
                change = run.settle(message) if isinstance(message, c.ClaimSettled) else run.cancel(message)
            except EnrollmentRefused as refusal:
                answers.append((env, CommandRecord(command_id(message), message.event_type, message.psn_no,
                                                   payload_hash(message), refusal.reason_code, str(refusal))))
                continue
            if change is not None:
                answers.append((env, change))
        if run.added or run.cancelled:
            await store.write_claim_register(list(run.added.values()), list(run.cancelled.values()), run.changed_totals())
        if answers:
            await self._answer(store, tx, answers)

    async def _answer(self, store: EnrollmentStore, tx: Transaction,
                      answers: list[tuple[Envelope[Any], d.RecordFundPaymentYear | CommandRecord]]) -> None:
        """Refusals, and the years that crossed zero as any change of a person (EnrollmentService), in order."""
        changed = sorted({a.psn_no for _, a in answers if isinstance(a, d.RecordFundPaymentYear)})
        persons = await store.get_persons(changed) if changed else {}
        appended: dict[str, list[Event]] = {}
        snapshots: dict[str, SavedSnapshot] = {}
        for env, answer in answers:
            if isinstance(answer, CommandRecord):
                refuse(tx, env, answer)
                continue
            stored: StoredPerson = persons[answer.psn_no]  # locked and known: read_claim_register checked
            new = stored.person.handle(answer, self.policy)
            if not new:
                continue
            appended.setdefault(answer.psn_no, []).extend(new)
            decision = decide_snapshot(stored, _today(env), only_if_changed=True)
            emit_snapshot(tx, decision, correlation_id=answer.command_id, causation=env)
            stored.snapshot_version, stored.snapshot, stored.snapshot_on = decision.version, decision.body, decision.on
            snapshots[decision.psn_no] = SavedSnapshot(decision.psn_no, decision.version, decision.body, decision.on)
        if appended:
            await store.append_many([NewEvents(p, events, persons[p].stored_events) for p, events in appended.items()])
        if snapshots:
            await store.save_snapshots(list(snapshots.values()))


def _today(env: Envelope[Any]) -> date:
    return business_day(env.occurred_at)
