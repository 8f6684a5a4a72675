"""Cancel / reversal (2208, 2305, 2601): take back exactly what a settlement did.

The `SettlementClaim` aggregate decides (its `check_*` guards and transitions); these handlers load
it, carry out the events it records (accumulators moved by the negated delta, contra entries posted,
codes and receipts released) and answer. Requested: the accumulators get the settlement's negated
delta and the wallet is asked to refund. Refunded: the contra fund entries are posted and the caller
is answered. Refused by the wallet: what was taken back is given back and the caller is told. A second
cancel of the same claim changes nothing (a cancelled claim answers again).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog

from libs.contracts import claims as c
from libs.contracts.envelope import Envelope
from libs.contracts.topics import CLAIMS_ADJUDICATED
from libs.contracts.wallet import PersonalPartRefused
from libs.messaging.emit import emit
from libs.messaging.ports import Transaction
from services.settlement.domain import AccumulatorDelta
from services.settlement.domain.settlement_claim import (
    CancellationAccepted,
    CancellationRefused,
    Cancelled,
    ClaimStateError,
    Kind,
    SettlementClaim,
    Status,
    Voided,
)
from services.settlement.service_layer import outcomes
from services.settlement.service_layer.ports import SettlementStore, Stores

log = structlog.get_logger("settlement")


class CancellationHandlers:
    def __init__(self, stores: Stores) -> None:
        self.stores = stores

    async def request(self, tx: Transaction, env: Envelope[c.ClaimCancelRequested]) -> None:
        req = env.payload
        store = self.stores.one(tx)
        claim = await store.get_claim(req.claim_id, for_update=True)
        try:
            if claim is None:
                raise ClaimStateError(f"no settled claim {req.claim_id} at institution {req.fixmedins_code}",
                                      "CLAIM_NOT_FOUND")
            claim.check_cancellable_by_institution(req.fixmedins_code)
        except ClaimStateError as refusal:
            outcomes.rejected(tx, req.claim_id, req.fixmedins_code, req.psn_no, refusal.reason_code, refusal.sentence, env)
            return
        await self.cancel(tx, store, claim, req.cancel_id, env)

    async def cancel(self, tx: Transaction, store: SettlementStore, claim: SettlementClaim, cancel_id: str,
                     env: Envelope[Any]) -> None:
        """Cancel a settled claim (a hospital's or an office's): negate its delta, ask the wallet to refund."""
        if claim.status is Status.CANCELLED:
            outcomes.cancelled(tx, claim.record, env)  # asked again: answer again, change nothing
            return
        claim.request_cancel(cancel_id)
        for event in claim.pull_events():
            if isinstance(event, CancellationAccepted):
                await store.save(claim)
                await _move_accumulators(store, claim, event.delta)
                emit(tx, CLAIMS_ADJUDICATED, claim.psn_no, c.ClaimCancellationAdjudicated(
                    claim_id=claim.claim_id, cancel_id=cancel_id, setl_id=claim.setl_id, psn_no=claim.psn_no,
                    fixmedins_code=claim.fixmedins_code,
                ), producer=outcomes.PRODUCER, correlation_id=claim.claim_id, causation=env)
        # 'cancelling': the wallet is refunding; the outcome follows by itself

    async def complete(self, tx: Transaction, env: Envelope[c.PersonalPartRefunded]) -> None:
        refunded = env.payload
        store = self.stores.one(tx)
        claim, events = await _answered(store, refunded, SettlementClaim.complete_cancel)
        for event in events:
            if isinstance(event, Cancelled):
                await _release(store, claim)
                row = await store.save(claim, refund=refunded.model_dump(include={"acct_pay", "acct_mulaid_pay",
                                                                                  "psn_cash_pay"}))
                await store.post_entries(claim.setl_id, "reverse", event.postings)
                outcomes.cancelled(tx, row, env)

    async def wallet_refused(self, tx: Transaction, env: Envelope[PersonalPartRefused]) -> None:
        """The wallet could not pay or refund: give back what adjudication took and tell the caller."""
        refused = env.payload
        store = self.stores.one(tx)
        claim, events = await _answered(store, refused, SettlementClaim.wallet_refused)
        for event in events:
            if isinstance(event, Voided):  # the payment was refused: the claim never settled
                await _move_accumulators(store, claim, event.delta)
                await _release(store, claim)
                await store.save(claim, void_reason=f"{refused.reason_code}: {refused.reason}")
                reason = f"the personal part could not be paid ({refused.reason}); nothing was settled"
            elif isinstance(event, CancellationRefused):  # the refund was refused: the settlement stands
                await _move_accumulators(store, claim, event.delta)
                await store.save(claim)
                reason = f"the personal part could not be refunded ({refused.reason}); the claim stays settled"
            else:
                continue
            outcomes.refused(tx, claim.record, f"WALLET_{refused.reason_code}", reason, env)


async def _answered(store: SettlementStore, answer: Any, transition: Callable[[SettlementClaim], None]
                    ) -> tuple[SettlementClaim, list[Any]]:
    """The claim a wallet answer refers to, locked, after the answer's transition, with the events it
    recorded (none: the answer was already applied). An answer for a settlement not held is an error."""
    claim = await store.get_claim(answer.claim_id, for_update=True)
    if claim is None or claim.setl_id != answer.setl_id:
        raise LookupError(f"wallet answer for settlement {answer.setl_id} that settlement does not hold")
    transition(claim)
    events = claim.pull_events()
    if not events:
        log.info("wallet_answer_already_applied", event=type(answer).__name__, setl_id=answer.setl_id,
                 status=claim.status.value)
    return claim, events


async def _release(store: SettlementStore, claim: SettlementClaim) -> None:
    """What an unsettled claim gives back for reuse: its traceability codes, a reimbursement's receipts."""
    await store.release_sold(claim.setl_id)
    if claim.kind is Kind.REIMBURSEMENT:
        await store.release_receipts(claim.claim_id)


async def _move_accumulators(store: SettlementStore, claim: SettlementClaim, delta: AccumulatorDelta) -> None:
    """The domain applies the delta to the person's accumulators, read locked (created if missing)."""
    before = await store.accumulators(claim.psn_no, delta.year, delta.service_date, for_update=True)
    await store.write_accumulators(claim.psn_no, claim.setl_id, before.apply(delta), delta)
