"""Settlement's handlers, one verb each, registered in one table per topic.

Settle: adjudicate under the pack in force, store the claim, move the accumulators, ask the wallet
for the personal part. Paid: post the fund entries, answer the hospital (or the office, for a manual
reimbursement). Cancellation lives in `cancellation.py`, manual reimbursement in `reimbursement.py`.
A claim id is the idempotency key: the same claim again is answered from what was stored, a
different bill under a used id is refused.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from functools import partial
from typing import Any

import orjson
import structlog

from libs.contracts import claims as c
from libs.contracts.enrollment import CoverageChanged
from libs.contracts.envelope import Envelope, Payload
from libs.contracts.topics import CLAIMS_ADJUDICATED, CLAIMS_OUTCOMES
from libs.contracts.wallet import PersonalPartRefused
from libs.messaging.emit import emit
from libs.messaging.ports import Transaction
from services.settlement.domain import Accumulators, Claim, PolicyPack, Rejection, Settlement, fund_postings
from services.settlement.domain.reimbursement import check_not_reimbursed
from services.settlement.domain.settlement_claim import Kind, Settled, SettlementClaim, Status
from services.settlement.service_layer import outcomes
from services.settlement.service_layer.adjudication import Guard, PolicyEngine, contract_amounts, contract_setldetail
from services.settlement.service_layer.cancellation import CancellationHandlers
from services.settlement.service_layer.ports import SettlementStore, Stores

log = structlog.get_logger("settlement")
PRODUCER = outcomes.PRODUCER


def body_hash(message: Payload, exclude: set[str] | None = None) -> str:
    """Identity of a request's content; a claim's `action` is left out so a pre-settled claim can be settled."""
    body = message.model_dump(mode="json", exclude=exclude if exclude is not None else {"action"})
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def claim_row(claim: c.ClaimSubmitted, result: Settlement, setl_id: str, digest: str, *,
              office_ref: str | None = None) -> dict[str, Any]:
    """The stored claim: the one place its row is put together, for both stores."""
    return {
        "claim_id": claim.claim_id, "body_hash": digest, "setl_id": setl_id, "psn_no": claim.psn_no,
        "fixmedins_code": claim.fixmedins_code, "insutype": claim.insutype, "med_type": claim.med_type,
        "insuplc_admdvs": claim.insuplc_admdvs, "mdtrtarea_admvs": claim.mdtrtarea_admvs,
        "kind": (Kind.REIMBURSEMENT if office_ref else Kind.DIRECT).value, "office_ref": office_ref,
        "setl_year": result.delta.year, "begntime": claim.begntime,
        "amounts": contract_amounts(result).model_dump(mode="json"),
        "setldetail": result.setldetail(), "explanation": list(result.explanation),
        "accumulator_delta": result.delta, "postings": fund_postings(result),  # the store serializes them
    }


class SettlementHandlers:
    def __init__(self, engine: PolicyEngine, stores: Stores) -> None:
        self.engine, self.stores = engine, stores
        self.cancellation = CancellationHandlers(stores)

    def claims_table(self) -> dict[type, Any]:
        return {c.ClaimSubmitted: self.submit_claim, c.ClaimCancelRequested: self.cancellation.request}

    def claims_batch_table(self) -> dict[type, Any]:
        return {c.ClaimSubmitted: self.submit_claims}

    def wallet_table(self) -> dict[type, Any]:
        return {c.PersonalPartPaid: self.complete_settlement, c.PersonalPartRefunded: self.cancellation.complete,
                PersonalPartRefused: self.cancellation.wallet_refused}

    def wallet_batch_table(self) -> dict[type, Any]:
        return {c.PersonalPartPaid: self.complete_settlements}

    def enrollment_table(self) -> dict[type, Any]:
        return {CoverageChanged: self.project_coverage}

    async def project_coverage(self, tx: Transaction, env: Envelope[CoverageChanged]) -> None:
        p = env.payload
        await self.stores.one(tx).upsert_coverage(p.psn_no, p.version, p.model_dump(mode="json"))

    async def decide(self, store: SettlementStore, claim: c.ClaimSubmitted, *, lock: bool,
                     manual: bool = False, guard: Guard | None = None) -> tuple[Settlement | Rejection, Accumulators]:
        """The adjudication, from the projection and the accumulators (locked when settling), and the
        accumulators it was made against (a settlement's delta is applied to them)."""
        coverage = await store.get_coverage(claim.psn_no)
        acc = await store.accumulators(claim.psn_no, claim.begntime.year, claim.begntime.date(), for_update=lock)
        codes = [code for line in claim.fee_details for code in line.drug_trac_codg]
        if not manual:  # a direct settlement: the funds must not pay for a visit an office reimbursed
            reimbursed_by = await store.reimbursement_of_visit(claim.psn_no, claim.fixmedins_code, claim.begntime)
            if reimbursed_by is not None:
                guard = partial(_not_reimbursed, reimbursed_by=reimbursed_by)
        return self.engine.adjudicate(claim, coverage, acc, await store.sold_codes(codes), manual=manual, guard=guard), acc

    async def presettle(self, claim: c.ClaimSubmitted) -> Settlement | Rejection:
        """2206/2303 over HTTP: the same adjudication as settling, nothing locked, nothing written."""
        async with self.stores.reading() as store:
            result, _ = await self.decide(store, claim, lock=False)
        return result

    async def submit_claim(self, tx: Transaction, env: Envelope[c.ClaimSubmitted]) -> None:
        await self._submit(tx, self.stores.one(tx), env)

    async def submit_claims(self, tx: Transaction, envs: Sequence[Envelope[c.ClaimSubmitted]]) -> None:
        """A run of claims: the same decisions as `submit_claim` one by one, with set-based statements."""
        store = await self.stores.run(tx, (env.payload for env in envs))
        for env in envs:
            await self._submit(tx, store, env)
        await store.flush()

    async def _submit(self, tx: Transaction, store: SettlementStore, env: Envelope[c.ClaimSubmitted]) -> None:
        claim = env.payload
        digest = body_hash(claim)
        existing = await store.get_claim(claim.claim_id)
        if existing is not None:
            await self._answer_repeat(tx, store, env, existing, digest)
            return
        result, before = await self.decide(store, claim, lock=claim.action == "settle")
        if isinstance(result, Rejection):
            await self._reject(tx, store, env, result.reason_code.value, result.reason)
        elif claim.action == "presettle":
            emit(tx, CLAIMS_OUTCOMES, claim.fixmedins_code, c.ClaimPreSettled(
                claim_id=claim.claim_id, fixmedins_code=claim.fixmedins_code, psn_no=claim.psn_no,
                amounts=contract_amounts(result), setldetail=contract_setldetail(result),
                explanation=list(result.explanation),
            ), producer=PRODUCER, correlation_id=claim.claim_id, causation=env)
        else:
            await self.settle(tx, store, env, claim, result, before, digest)

    async def settle(self, tx: Transaction, store: SettlementStore, env: Envelope[Any], claim: c.ClaimSubmitted,
                     result: Settlement, before: Accumulators, digest: str, *, office_ref: str | None = None) -> str:
        """Store the adjudicated claim, move the accumulators (the domain applies the delta to those the
        claim was adjudicated against), ask the wallet for the personal part."""
        setl_id = f"S{uuid.uuid4().hex[:20]}"
        await store.insert_claim(claim_row(claim, result, setl_id, digest, office_ref=office_ref))
        await store.write_accumulators(claim.psn_no, setl_id, before.apply(result.delta), result.delta)
        await store.record_sold(setl_id, result.traceability_codes)
        emit(tx, CLAIMS_ADJUDICATED, claim.psn_no, c.ClaimAdjudicated(
            claim_id=claim.claim_id, setl_id=setl_id, psn_no=claim.psn_no, insutype=claim.insutype,
            fixmedins_code=claim.fixmedins_code, psn_part_amt=result.amounts.psn_part_amt,
            acct_used_flag=claim.acct_used_flag,
        ), producer=PRODUCER, correlation_id=claim.claim_id, causation=env)
        return setl_id

    async def _answer_repeat(self, tx: Transaction, store: SettlementStore, env: Envelope[c.ClaimSubmitted],
                             existing: SettlementClaim, digest: str) -> None:
        claim = env.payload
        if existing.kind is not Kind.DIRECT or existing.record["body_hash"] != digest:
            await self._reject(tx, store, env, "CLAIM_ID_REUSED",
                               f"claim id {claim.claim_id} was already used for a different bill; use a new id")
        elif claim.action == "presettle":
            await self._reject(tx, store, env, "CLAIM_ALREADY_SETTLED",
                               f"claim {claim.claim_id} is already settled; pre-settle a new bill under a new id")
        elif existing.status is Status.SETTLED:
            outcomes.settled(tx, existing.record, env)  # the hospital asked again (e.g. after a timeout)
        elif existing.status in (Status.CANCELLING, Status.CANCELLED, Status.VOID):
            await self._reject(tx, store, env, "CLAIM_CANCELLED",
                               f"claim {claim.claim_id} was cancelled or voided; submit the bill under a new id")
        # adjudicated: the wallet is paying; the outcome follows by itself

    async def complete_settlement(self, tx: Transaction, env: Envelope[c.PersonalPartPaid]) -> None:
        await self.complete_settlements(tx, [env])

    async def complete_settlements(self, tx: Transaction, envs: Sequence[Envelope[c.PersonalPartPaid]]) -> None:
        """The wallet paid the personal part: each claim, locked, settles itself (`wallet_paid`), and the
        run's settled claims and their fund entries are stored in one statement before the caller is
        answered (a payment already applied, or repeated in the run, changes nothing)."""
        store = self.stores.one(tx)
        first: dict[str, Envelope[c.PersonalPartPaid]] = {}
        for env in envs:
            first.setdefault(env.payload.claim_id, env)
        claims = await store.get_claims(first, for_update=True)
        for env in envs:  # every answer, a repeat within the run too, must name a settlement this service holds
            paid = env.payload
            held = claims.get(paid.claim_id)
            if held is None or held.setl_id != paid.setl_id:
                raise LookupError(f"wallet answer for settlement {paid.setl_id} that settlement does not hold")
        settled: list[tuple[SettlementClaim, Settled]] = []
        for claim_id, env in first.items():
            claim = claims[claim_id]
            claim.wallet_paid(env.payload.model_dump(include={"acct_pay", "acct_mulaid_pay", "psn_cash_pay", "balc"}))
            settled += [(claim, event) for event in claim.pull_events() if isinstance(event, Settled)]
        rows = await store.save_settled(settled)
        for env in envs:
            paid = env.payload
            if first[paid.claim_id] is env and paid.claim_id in rows:
                outcomes.settled(tx, rows[paid.claim_id], env)
            else:
                log.info("payment_already_applied", setl_id=paid.setl_id, status=claims[paid.claim_id].status.value)

    async def _reject(self, tx: Transaction, store: SettlementStore, env: Envelope[c.ClaimSubmitted], code: str,
                      reason: str) -> None:
        claim = env.payload
        if claim.action == "settle":
            await store.insert_rejection(claim.claim_id, claim.fixmedins_code, code, reason)
        outcomes.rejected(tx, claim.claim_id, claim.fixmedins_code, claim.psn_no, code, reason, env)


def _not_reimbursed(claim: Claim, _pack: PolicyPack, *, reimbursed_by: str) -> None:
    check_not_reimbursed(claim, reimbursed_by)
