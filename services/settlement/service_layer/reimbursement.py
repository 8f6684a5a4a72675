"""Manual reimbursement (零星报销): an office's claim for a bill the patient paid in full.

Submit: the office's reference is the idempotency key (a repeat is answered from what was stored, a
different bill under it refused); the bill is adjudicated as any claim, under the insured region's
policy and the treatment region's catalogue, against the same locked accumulators, after the guards
of `domain/reimbursement.py`; the wallet is asked for the person's share as for any claim (an
employee's account pays what it can, and that part goes to the person with the funds'); the funds'
part becomes a payable to the person. Cancel: as a hospital's cancellation, until the money is paid
out. Payout: the office's bank transferred the payable; the payable is cleared against the bank.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from libs.contracts import claims as c
from libs.contracts import reimbursement as r
from libs.contracts.envelope import Envelope
from libs.messaging.ports import Transaction
from services.settlement.domain import Claim, PolicyPack, Rejection
from services.settlement.domain.reimbursement import Receipt, check_reimbursable, reimbursement_claim_id
from services.settlement.domain.settlement_claim import ClaimStateError, Kind, PaidOut, SettlementClaim, Status
from services.settlement.service_layer import outcomes
from services.settlement.service_layer.handlers import SettlementHandlers, body_hash
from services.settlement.service_layer.ports import SettlementStore


def as_claim(m: r.SubmitReimbursement) -> c.ClaimSubmitted:
    """The bill as the claim it would have been at the counter."""
    return c.ClaimSubmitted(
        claim_id=reimbursement_claim_id(m.insuplc_admdvs, m.office_ref), action="settle",
        fixmedins_code=m.fixmedins_code, fixmedins_type=m.fixmedins_type, hosp_lv=m.hosp_lv, mdtrt_id=m.office_ref,
        psn_no=m.psn_no, insutype=m.insutype, med_type=m.med_type, insuplc_admdvs=m.insuplc_admdvs,
        mdtrtarea_admvs=m.mdtrtarea_admvs, begntime=m.begntime, endtime=m.endtime, dise_codg=m.dise_codg,
        opsp_dise_code=m.opsp_dise_code, bilg_dr_codg=m.bilg_dr_codg, acct_used_flag=m.acct_used_flag,
        fee_details=m.fee_details)


class ReimbursementHandlers:
    def __init__(self, settlement: SettlementHandlers) -> None:
        self.settlement, self.stores = settlement, settlement.stores

    def table(self) -> dict[type, Any]:
        return {r.SubmitReimbursement: self.submit, r.CancelReimbursement: self.cancel,
                r.RecordReimbursementPayout: self.record_payout}

    async def submit(self, tx: Transaction, env: Envelope[r.SubmitReimbursement]) -> None:
        m = env.payload
        store, claim = self.stores.one(tx), as_claim(env.payload)
        digest = body_hash(m, exclude=set())

        def refuse(code: str, reason: str) -> None:
            outcomes.reimbursement_rejected(tx, m.office_ref, m.insuplc_admdvs, m.psn_no, code, reason, env,
                                            correlation_id=claim.claim_id)

        existing = await store.get_claim(claim.claim_id)
        if existing is not None:
            if existing.kind is not Kind.REIMBURSEMENT or existing.record["body_hash"] != digest:
                refuse("OFFICE_REF_REUSED", f"reference {m.office_ref} was already used for another bill; use a new one")
            elif existing.status is Status.SETTLED:
                outcomes.settled(tx, existing.record, env)
            elif existing.status is not Status.ADJUDICATED:
                refuse("REIMBURSEMENT_CANCELLED", f"reimbursement {m.office_ref} was withdrawn; submit it under a new reference")
            return
        settled_directly = await store.direct_settlement_of_visit(m.psn_no, m.fixmedins_code, m.begntime)
        reimbursed = await store.reimbursed_receipts(rc.receipt_no for rc in m.receipts)
        receipts = [Receipt(rc.receipt_no, rc.amount) for rc in m.receipts]

        def reimbursable(bill: Claim, pack: PolicyPack) -> None:
            check_reimbursable(bill, pack, received_on=m.received_on, care_ended=(m.endtime or m.begntime).date(),
                               receipts=receipts, settled_directly=settled_directly, reimbursed_receipts=reimbursed)

        result, before = await self.settlement.decide(store, claim, lock=True, manual=True, guard=reimbursable)
        if isinstance(result, Rejection):
            await store.insert_rejection(claim.claim_id, claim.fixmedins_code, result.reason_code.value, result.reason)
            refuse(result.reason_code.value, result.reason)
            return
        await self.settlement.settle(tx, store, env, claim, result, before, digest, office_ref=m.office_ref)
        await store.record_receipts(claim.claim_id, [rc.receipt_no for rc in m.receipts])

    async def cancel(self, tx: Transaction, env: Envelope[r.CancelReimbursement]) -> None:
        m, store = env.payload, self.stores.one(tx)
        claim = await self._guarded(tx, store, env, lambda found: found.check_cancellable_by_office(m.insuplc_admdvs))
        if claim is not None:
            await self.settlement.cancellation.cancel(tx, store, claim, f"office-{m.office_ref}", env)

    async def record_payout(self, tx: Transaction, env: Envelope[r.RecordReimbursementPayout]) -> None:
        m, store = env.payload, self.stores.one(tx)
        claim = await self._guarded(tx, store, env, lambda found: found.pay_out(m.insuplc_admdvs, m.amount))
        if claim is None:
            return
        events = claim.pull_events()
        if not events:  # recorded already: answer again
            outcomes.paid_out(tx, claim.record, env)
        for event in events:
            if isinstance(event, PaidOut):
                await store.post_entries(claim.setl_id, "payout", event.postings)
                row = await store.save(claim, payout={"bank_ref": m.bank_ref, "amount": event.amount})
                outcomes.paid_out(tx, row, env)

    async def _guarded(self, tx: Transaction, store: SettlementStore, env: Envelope[Any],
                       step: Callable[[SettlementClaim], None]) -> SettlementClaim | None:
        """The office's reimbursement, locked, after `step` (a guard or a transition); None when it was
        refused, the office having been told why."""
        m = env.payload
        claim_id = reimbursement_claim_id(m.insuplc_admdvs, m.office_ref)
        claim = await store.get_claim(claim_id, for_update=True)
        try:
            if claim is None:
                raise ClaimStateError(f"no reimbursement {m.office_ref} of region {m.insuplc_admdvs}", "CLAIM_NOT_FOUND")
            step(claim)
        except ClaimStateError as refusal:
            outcomes.reimbursement_rejected(tx, m.office_ref, m.insuplc_admdvs, m.psn_no, refusal.reason_code,
                                            refusal.sentence, env, correlation_id=claim_id)
            return None
        return claim
