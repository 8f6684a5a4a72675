"""The register of settled claims' fund payments: `claims.outcomes` and `reimbursements.outcomes` into the
no-claim-year incentive.

The incentive (零报销, docs/enrollment.md) asks one thing of a settlement year: did the funds pay
anything for the person, at a hospital's counter or through an office's manual reimbursement (零星报销).
Each `ClaimSettled` or `ReimbursementSettled` is one row in the register (its key, person, year,
`fund_pay_sumamt`) and adds to the person's year total; its `ClaimCancelled` or `ReimbursementCancelled`
marks the row and takes the amount back, so cancelling one claim leaves the year paid while another
paid claim stands. Only
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
from libs.contracts import reimbursement as r
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

Outcome = c.ClaimSettled | c.ClaimCancelled | r.ReimbursementSettled | r.ReimbursementCancelled
OFFICE_CANCELLATION = "office"  # an office withdraws a reimbursement once: its cancellation needs no id of its own


@dataclass(frozen=True)
class Paid:
    """A settled claim or reimbursement as the register counts it: the funds paid `fund_paid` in `year`."""

    key: str  # the claim id; a reimbursement's is its settlement id, prefixed (it has no hospital claim id)
    psn_no: str
    year: int
    fund_paid: int  # fen
    command_id: str  # what its answers and events carry, as for any command of the service
    named: str  # how a sentence names it


@dataclass(frozen=True)
class Withdrawn:
    """A cancelled claim or reimbursement: what it paid no longer counts."""

    key: str
    psn_no: str
    cancel_id: str
    command_id: str
    named: str


def reimbursement_key(setl_id: str) -> str:
    return f"reimbursement:{setl_id}"


def fact(env: Envelope[Any]) -> Paid | Withdrawn:
    """The message as the register reads it. A reimbursement counts in the year it was settled, as a claim
    does (its `setl_time`; a message from before the field existed: when settlement sent it)."""
    m: Outcome = env.payload
    if isinstance(m, c.ClaimSettled):
        return Paid(m.claim_id, m.psn_no, local_day(m.setl_time).year, m.amounts.fund_pay_sumamt,
                    f"ClaimSettled:{m.claim_id}", f"Claim {m.claim_id}")
    if isinstance(m, c.ClaimCancelled):
        return Withdrawn(m.claim_id, m.psn_no, m.cancel_id, f"ClaimCancelled:{m.claim_id}:{m.cancel_id}",
                         f"Claim {m.claim_id}")
    named = f"Reimbursement {m.office_ref} of region {m.insuplc_admdvs} (settlement {m.setl_id})"
    if isinstance(m, r.ReimbursementSettled):
        return Paid(reimbursement_key(m.setl_id), m.psn_no, local_day(m.setl_time or env.occurred_at).year,
                    m.amounts.fund_pay_sumamt, f"ReimbursementSettled:{m.setl_id}", named)
    return Withdrawn(reimbursement_key(m.setl_id), m.psn_no, OFFICE_CANCELLATION, f"ReimbursementCancelled:{m.setl_id}",
                     named)


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

    def settle(self, m: Paid) -> d.RecordFundPaymentYear | None:
        self._check_person(m.psn_no)
        if m.fund_paid < 0:
            raise InvalidAmount(f"{m.named} reports a negative fund payment; send the cancellation instead.")
        claim = RegisteredClaim(m.key, m.psn_no, m.year, m.fund_paid)
        known = self.claims.get(m.key)
        if known is not None:
            if replace(known, cancel_id=None) != claim:
                raise CommandIdReused(
                    f"{m.named} was already settled for person {known.psn_no} in "
                    f"{known.settlement_year} with a fund payment of {format_yuan(known.fund_paid)} yuan; this message "
                    "says otherwise. Settlement sends a claim once: report it to the platform's operators.")
            return None  # a repeat
        self.claims[m.key] = self.added[m.key] = claim
        return self._add(claim, m.fund_paid, m.command_id)

    def cancel(self, m: Withdrawn) -> d.RecordFundPaymentYear | None:
        self._check_person(m.psn_no)
        known = self.claims.get(m.key)
        if known is None or known.psn_no != m.psn_no:
            raise ReimbursementNotFound(f"{m.named} was never recorded for person {m.psn_no}.")
        if known.cancel_id == m.cancel_id:
            return None  # a repeat
        if known.cancel_id is not None:
            raise ReimbursementNotFound(
                f"{m.named} was already cancelled (cancellation {known.cancel_id}); nothing is left to cancel.")
        cancelled = replace(known, cancel_id=m.cancel_id)
        self.claims[m.key] = cancelled
        if m.key in self.added:  # settled earlier in this run: it goes in cancelled
            self.added[m.key] = cancelled
        else:
            self.cancelled[m.key] = cancelled
        return self._add(known, -known.fund_paid, m.command_id)

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

    def reimbursements_table(self) -> dict[type[Payload], BatchHandler]:
        """An office's manual reimbursements pay from the funds too (rejections and payouts change nothing here)."""
        return {r.ReimbursementSettled: self.handle, r.ReimbursementCancelled: self.handle}

    async def handle_one(self, tx: Transaction, env: Envelope[Any]) -> None:
        await self.handle(tx, [env])

    async def handle(self, tx: Transaction, envelopes: Sequence[Envelope[Any]]) -> None:
        store = self.store_for(tx)
        facts = [fact(env) for env in envelopes]
        run = _Run(await store.read_claim_register(
            sorted({f.psn_no for f in facts}), sorted({f.key for f in facts}),
            sorted({(f.psn_no, f.year) for f in facts if isinstance(f, Paid)})))
        answers: list[tuple[Envelope[Any], d.RecordFundPaymentYear | CommandRecord]] = []  # in the messages' order
        for env, f in zip(envelopes, facts, strict=True):
            try:
                change = run.settle(f) if isinstance(f, Paid) else run.cancel(f)
            except EnrollmentRefused as refusal:
                answers.append((env, CommandRecord(f.command_id, env.payload.event_type, f.psn_no,
                                                   payload_hash(env.payload), refusal.reason_code, refusal.sentence)))
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
