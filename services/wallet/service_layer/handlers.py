"""Wallet's handlers, one verb each: translate the message, run its recipe, answer through the outbox.

Every verb runs inside a transaction someone else opened: the consumer runtime's batch transaction for
a message, or `runtime.database.transaction()` for an HTTP request; both commit the effect, the inbox
row (for a message) and the answer together. The recipe runs in a savepoint: a refusal rolls it back
(nothing written, not even an empty account row) and is answered with an event carrying the reason;
a fault (a bug, a lost connection) propagates, so the runtime retries the batch or parks the message.
Every verb returns its answer (the event, or `Refused`) for the HTTP API.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import asyncpg
import structlog

from libs.contracts import claims as c
from libs.contracts import wallet as w
from libs.contracts.enrollment import CoverageChanged
from libs.contracts.envelope import Envelope, Payload
from libs.contracts.topics import WALLET_EVENTS, WALLET_PAYMENTS, Topic
from libs.messaging.emit import emit
from libs.messaging.ports import Transaction
from services.wallet.domain import (
    ClaimPayment,
    ClaimRunBook,
    CreditIdReused,
    LocksIncomplete,
    RelativeNotInsured,
    WalletBook,
    WalletPolicy,
    WalletRefusal,
    china_day,
)
from services.wallet.service_layer import messages, recipes
from services.wallet.service_layer.persons import PersonsProjection, Projected, insurance_status

PRODUCER = "wallet"
log = structlog.get_logger("wallet")

T = TypeVar("T")
Clock = Callable[[], datetime]
BookFor = Callable[[Transaction], WalletBook]
PersonsFor = Callable[[Transaction], PersonsProjection]
ClaimRunFor = Callable[[Transaction], ClaimRunBook]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Refused:
    """A refusal as answered: the stable code and the sentence for the holder or the clerk."""

    reason_code: str
    reason: str


class BindingsKeptChanging(asyncpg.SerializationError):
    """The patient's bindings changed on every attempt to lock their payers: a serialization conflict,
    so the runtime retries the batch (or the HTTP endpoint its request) from the start."""


class WalletHandlers:
    def __init__(self, book_for: BookFor, persons_for: PersonsFor, *, policy: WalletPolicy | None = None,
                 clock: Clock = utc_now, claim_run_for: ClaimRunFor | None = None) -> None:
        self.book_for = book_for
        self.persons_for = persons_for
        self.claim_run_for = claim_run_for
        self.policy = policy or WalletPolicy()
        self.clock = clock

    def claims_table(self) -> dict[type, Any]:
        return {c.ClaimAdjudicated: _on_message(self.pay_personal_part),
                c.ClaimCancellationAdjudicated: _on_message(self.refund_personal_part)}

    def claims_batch_table(self) -> dict[type, Any]:
        """Set-based handlers for runs of claims (none without a `claim_run_for`); `claims_table` stays the
        reference the runtime falls back to."""
        return {c.ClaimAdjudicated: self.pay_personal_parts} if self.claim_run_for else {}

    def commands_table(self) -> dict[type, Any]:
        return {w.CreditPersonalAccount: _on_message(self.credit_account),
                w.BindRelative: _on_message(self.bind_relative),
                w.ChangeMutualAidUses: _on_message(self.change_uses),
                w.RevokeBinding: _on_message(self.revoke_binding),
                w.TransferToRelative: _on_message(self.transfer_to_relative),
                w.PayRelativePremium: _on_message(self.pay_relative_premium)}

    def enrollment_table(self) -> dict[type, Any]:
        return {CoverageChanged: _on_message(self.project_person)}

    # -- claims ----------------------------------------------------------------------------------
    async def pay_personal_part(self, tx: Transaction, m: c.ClaimAdjudicated, cause: Envelope[Any] | None = None
                                ) -> c.PersonalPartPaid | Refused:
        cmd = messages.pay_personal_part(m, self.clock())
        answer = await self._attempt(tx, lambda book: recipes.pay_claim(book, cmd, self.policy))
        return self._answer_payment(tx, m, answer, cause)

    async def pay_personal_parts(self, tx: Transaction, envelopes: Sequence[Envelope[Any]]) -> None:
        """`pay_personal_part` for a run of ClaimAdjudicated, in order, with the same recipe and answers,
        on a `ClaimRunBook`: a few statements for the whole run instead of a dozen per claim (docs/wallet.md,
        Batch path). Refusals are answered as one by one; anything else raises, and the runtime rolls the
        run back and replays it through `pay_personal_part`."""
        assert self.claim_run_for is not None, "no claim_run_for: register claims_batch_table() only"
        book = self.claim_run_for(tx)
        await book.prefetch((e.payload.psn_no for e in envelopes), (e.payload.setl_id for e in envelopes))
        answers: list[ClaimPayment | Refused] = []
        for envelope in envelopes:
            cmd = messages.pay_personal_part(envelope.payload, self.clock())
            try:
                answers.append(await recipes.pay_claim(book, cmd, self.policy))
            except WalletRefusal as refusal:
                answers.append(_refused(refusal))
        await book.flush()
        for envelope, answer in zip(envelopes, answers, strict=True):
            self._answer_payment(tx, envelope.payload, answer, envelope)

    async def refund_personal_part(self, tx: Transaction, m: c.ClaimCancellationAdjudicated,
                                   cause: Envelope[Any] | None = None) -> c.PersonalPartRefunded | Refused:
        cmd = messages.refund_personal_part(m, self.clock())
        answer = await self._attempt(tx, lambda book: recipes.refund_claim(book, cmd))
        if isinstance(answer, Refused):
            return self._refuse_claim(tx, m, m.cancel_id, answer, cause)
        return _emit(tx, WALLET_PAYMENTS, m.psn_no, messages.personal_part_refunded(answer), m.claim_id, cause)

    # -- enrollment's projection and credits -----------------------------------------------------
    async def project_person(self, tx: Transaction, m: CoverageChanged, cause: Envelope[Any] | None = None) -> None:
        persons = self.persons_for(tx)
        if await persons.project(m) is not Projected.FIRST:
            return
        # Lock before reading the waiting credits: a credit parked by a transaction that held the lock
        # is then visible, and one that comes after sees this coverage (see service_layer/persons.py).
        await self.book_for(tx).lock_accounts([m.psn_no])
        for credit in await persons.parked_credits(m.psn_no):
            await persons.unpark_credit(credit.credit_id)
            await self._credit(tx, credit, m.insuplc_admdvs, cause)

    async def credit_account(self, tx: Transaction, m: w.CreditPersonalAccount, cause: Envelope[Any] | None = None
                             ) -> w.AccountCredited | Refused | None:
        """None: the person's coverage has not arrived yet, so the credit waits for it."""
        await self.book_for(tx).lock_accounts([m.psn_no])  # before reading the projection, as project_person
        persons = self.persons_for(tx)
        person = await persons.person(m.psn_no)
        if person is not None:
            return await self._credit(tx, m, person.region, cause)
        parked = await persons.park_credit(m, str(cause.event_id) if cause else str(uuid.uuid4()))
        if parked != m:
            reused = CreditIdReused(f"Credit {m.credit_id} was already used for a different credit.")
            return self._refuse_command(tx, m, m.credit_id, _refused(reused), cause)
        log.info("credit_awaits_coverage", credit_id=m.credit_id)
        return None

    async def _credit(self, tx: Transaction, m: w.CreditPersonalAccount, region: str,
                      cause: Envelope[Any] | None) -> w.AccountCredited | Refused:
        cmd = messages.credit_account(m, region, self.clock())
        answer = await self._attempt(tx, lambda book: recipes.credit(book, cmd))
        return self._answer(tx, m, m.credit_id, answer, messages.account_credited, cause)

    # -- family mutual aid -----------------------------------------------------------------------
    async def bind_relative(self, tx: Transaction, m: w.BindRelative, cause: Envelope[Any] | None = None
                            ) -> w.BindingChanged | Refused:
        at = self.clock()
        persons = self.persons_for(tx)
        holder = insurance_status(m.psn_no, await persons.person(m.psn_no), china_day(at))
        member = insurance_status(m.relative_psn_no, await persons.person(m.relative_psn_no), china_day(at))
        cmd = messages.bind_relative(m, at)
        answer = await self._attempt(tx, lambda book: recipes.bind(book, cmd, holder, member, self.policy))
        return self._answer(tx, m, m.command_id, answer, lambda b: messages.binding_changed(m.command_id, b), cause)

    async def change_uses(self, tx: Transaction, m: w.ChangeMutualAidUses, cause: Envelope[Any] | None = None
                          ) -> w.BindingChanged | Refused:
        cmd = messages.change_uses(m, self.clock())
        answer = await self._attempt(tx, lambda book: recipes.change_uses(book, cmd))
        return self._answer(tx, m, m.command_id, answer, lambda b: messages.binding_changed(m.command_id, b), cause)

    async def revoke_binding(self, tx: Transaction, m: w.RevokeBinding, cause: Envelope[Any] | None = None
                             ) -> w.BindingChanged | Refused:
        cmd = messages.revoke_binding(m, self.clock())
        answer = await self._attempt(tx, lambda book: recipes.revoke(book, cmd))
        return self._answer(tx, m, m.command_id, answer, lambda b: messages.binding_changed(m.command_id, b), cause)

    # -- moving money to relatives ---------------------------------------------------------------
    async def transfer_to_relative(self, tx: Transaction, m: w.TransferToRelative, cause: Envelope[Any] | None = None
                                   ) -> w.TransferCompleted | Refused:
        cmd = messages.transfer_to_relative(m, self.clock())
        answer = await self._attempt(tx, lambda book: recipes.transfer(book, cmd, self.policy))
        return self._answer(tx, m, m.transfer_id, answer, messages.transfer_completed, cause)

    async def pay_relative_premium(self, tx: Transaction, m: w.PayRelativePremium, cause: Envelope[Any] | None = None
                                   ) -> w.RelativePremiumPaid | Refused:
        at = self.clock()
        relative = await self.persons_for(tx).person(m.relative_psn_no)

        async def pay(book: WalletBook) -> Any:
            earlier = await book.premium_payment(m.payment_id)
            if earlier is None and relative is None:
                raise RelativeNotInsured(f"{m.relative_psn_no} is not known to be insured; no premium can be paid.")
            # A replay keeps the region of the first payment, even if the relative has moved since.
            region = earlier.region if earlier else relative.region  # type: ignore[union-attr]
            return await recipes.pay_premium(book, messages.pay_resident_premium(m, region, at), self.policy)

        answer = await self._attempt(tx, pay)
        # The premium is the relative's contribution: enrollment reads it keyed by the relative.
        return self._answer(tx, m, m.payment_id, answer, messages.relative_premium_paid, cause, key=m.relative_psn_no)

    # -- helpers ---------------------------------------------------------------------------------
    async def _attempt(self, tx: Transaction, operation: Callable[[WalletBook], Awaitable[T]]) -> T | Refused:
        try:
            async with tx.savepoint():
                return await operation(self.book_for(tx))
        except WalletRefusal as refusal:
            return _refused(refusal)
        except LocksIncomplete as exc:
            raise BindingsKeptChanging(str(exc)) from exc

    def _answer_payment(self, tx: Transaction, m: c.ClaimAdjudicated, answer: ClaimPayment | Refused,
                        cause: Envelope[Any] | None) -> c.PersonalPartPaid | Refused:
        if isinstance(answer, Refused):
            return self._refuse_claim(tx, m, None, answer, cause)
        return _emit(tx, WALLET_PAYMENTS, m.psn_no, messages.personal_part_paid(answer), m.claim_id, cause)

    def _answer(self, tx: Transaction, m: Any, command_id: str, answer: Any, event_of: Callable[[Any], Payload],
                cause: Envelope[Any] | None, *, key: str | None = None) -> Any:
        if isinstance(answer, Refused):
            return self._refuse_command(tx, m, command_id, answer, cause)
        return _emit(tx, WALLET_EVENTS, key or m.psn_no, event_of(answer), command_id, cause)

    def _refuse_command(self, tx: Transaction, m: Any, command_id: str, refused: Refused,
                        cause: Envelope[Any] | None) -> Refused:
        log.info("command_refused", command_type=m.event_type, command_id=command_id, reason_code=refused.reason_code)
        _emit(tx, WALLET_EVENTS, m.psn_no, w.WalletCommandRefused(
            command_id=command_id, command_type=m.event_type, psn_no=m.psn_no,
            reason_code=refused.reason_code, reason=refused.reason,
        ), command_id, cause)
        return refused

    def _refuse_claim(self, tx: Transaction, m: c.ClaimAdjudicated | c.ClaimCancellationAdjudicated,
                      cancel_id: str | None, refused: Refused, cause: Envelope[Any] | None) -> Refused:
        log.warning("claim_refused", setl_id=m.setl_id, reason_code=refused.reason_code)
        _emit(tx, WALLET_PAYMENTS, m.psn_no, w.PersonalPartRefused(
            claim_id=m.claim_id, setl_id=m.setl_id, cancel_id=cancel_id, psn_no=m.psn_no,
            reason_code=refused.reason_code, reason=refused.reason,
        ), m.claim_id, cause)
        return refused


def _refused(refusal: WalletRefusal) -> Refused:
    return Refused(refusal.reason_code, refusal.sentence)


def _emit(tx: Transaction, topic: Topic, key: str, event: Any, correlation_id: str, cause: Envelope[Any] | None) -> Any:
    emit(tx, topic, key, event, producer=PRODUCER, correlation_id=correlation_id, causation=cause)
    return event


def _on_message(verb: Callable[..., Awaitable[Any]]) -> Callable[[Transaction, Envelope[Any]], Awaitable[Any]]:
    async def handle(tx: Transaction, env: Envelope[Any]) -> Any:
        return await verb(tx, env.payload, env)  # the answer, for the audit log (libs/audit/commands.py)

    return handle
