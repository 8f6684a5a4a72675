"""Settlement's handlers, one verb each, registered in one table per topic.

Settle: adjudicate under the pack in force, store the claim, move the accumulators, ask the wallet
for the personal part. Paid: post the fund entries, answer the hospital. Cancellation lives in
`cancellation.py`. A claim id is the idempotency key: the same claim again is answered from what
was stored, a different bill under a used id is refused.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from typing import Any

import orjson
import structlog

from libs.contracts import claims as c
from libs.contracts.enrollment import CoverageChanged
from libs.contracts.envelope import Envelope
from libs.contracts.wallet import PersonalPartRefused
from libs.contracts.topics import CLAIMS_ADJUDICATED, CLAIMS_OUTCOMES
from libs.messaging.emit import emit
from libs.messaging.ports import Transaction
from services.settlement.adapters import accumulators, repository as repo
from services.settlement.adapters.claim_store import ClaimStore, PgClaimStore, RunClaimStore
from services.settlement.domain import Rejection, Settlement, fund_postings
from services.settlement.service_layer import outcomes
from services.settlement.service_layer.adjudication import PolicyEngine, contract_amounts, contract_setldetail
from services.settlement.service_layer.cancellation import CancellationHandlers

log = structlog.get_logger("settlement")
PRODUCER = outcomes.PRODUCER


def body_hash(claim: c.ClaimSubmitted) -> str:
    """Identity of a claim's content; `action` is left out so a pre-settled claim can be settled."""
    body = claim.model_dump(mode="json", exclude={"action"})
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


class SettlementHandlers:
    def __init__(self, engine: PolicyEngine) -> None:
        self.engine = engine
        self.cancellation = CancellationHandlers()

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
        await repo.upsert_coverage(tx.conn, p.psn_no, p.version, p.model_dump(mode="json"))

    async def decide(self, conn: Any, claim: c.ClaimSubmitted, *, lock: bool) -> Settlement | Rejection:
        """The adjudication, from the projection and the accumulators (locked when settling)."""
        return await self._decide(PgClaimStore(conn), claim, lock=lock)

    async def _decide(self, store: ClaimStore, claim: c.ClaimSubmitted, *, lock: bool) -> Settlement | Rejection:
        coverage = await store.get_coverage(claim.psn_no)
        year, day = claim.begntime.year, claim.begntime.date()
        acc = await store.accumulators(claim.psn_no, year, day, for_update=lock)
        codes = [code for line in claim.fee_details for code in line.drug_trac_codg]
        return self.engine.adjudicate(claim, coverage, acc, await store.sold_codes(codes))

    async def submit_claim(self, tx: Transaction, env: Envelope[c.ClaimSubmitted]) -> None:
        await self._submit(tx, PgClaimStore(tx.conn), env)

    async def submit_claims(self, tx: Transaction, envs: Sequence[Envelope[c.ClaimSubmitted]]) -> None:
        """A run of claims: the same decisions as `submit_claim` one by one, with set-based statements."""
        store = await RunClaimStore.load(tx.conn, (env.payload for env in envs))
        for env in envs:
            await self._submit(tx, store, env)
        await store.flush()

    async def _submit(self, tx: Transaction, store: ClaimStore, env: Envelope[c.ClaimSubmitted]) -> None:
        claim = env.payload
        digest = body_hash(claim)
        existing = await store.get_claim(claim.claim_id)
        if existing is not None:
            await self._answer_repeat(tx, store, env, existing, digest)
            return
        result = await self._decide(store, claim, lock=claim.action == "settle")
        if isinstance(result, Rejection):
            await self._reject(tx, store, env, result.reason_code.value, result.reason)
        elif claim.action == "presettle":
            emit(tx, CLAIMS_OUTCOMES, claim.fixmedins_code, c.ClaimPreSettled(
                claim_id=claim.claim_id, fixmedins_code=claim.fixmedins_code, psn_no=claim.psn_no,
                amounts=contract_amounts(result), setldetail=contract_setldetail(result),
                explanation=list(result.explanation),
            ), producer=PRODUCER, correlation_id=claim.claim_id, causation=env)
        else:
            await self._settle(tx, store, env, result, digest)

    async def _settle(self, tx: Transaction, store: ClaimStore, env: Envelope[c.ClaimSubmitted], result: Settlement,
                      digest: str) -> None:
        claim = env.payload
        setl_id = f"S{uuid.uuid4().hex[:20]}"
        await store.insert_claim({
            "claim_id": claim.claim_id, "body_hash": digest, "setl_id": setl_id, "psn_no": claim.psn_no,
            "fixmedins_code": claim.fixmedins_code, "insutype": claim.insutype, "med_type": claim.med_type,
            "insuplc_admdvs": claim.insuplc_admdvs, "mdtrtarea_admvs": claim.mdtrtarea_admvs,
            "setl_year": result.delta.year, "begntime": claim.begntime,
            "amounts": contract_amounts(result).model_dump(mode="json"),
            "setldetail": result.setldetail(), "explanation": list(result.explanation),
            "accumulator_delta": accumulators.delta_to_json(result.delta),
            "postings": [[p.account, p.debit, p.credit] for p in fund_postings(result)],
        })
        await store.apply(claim.psn_no, setl_id, result.delta)
        await store.record_sold(setl_id, result.traceability_codes)
        emit(tx, CLAIMS_ADJUDICATED, claim.psn_no, c.ClaimAdjudicated(
            claim_id=claim.claim_id, setl_id=setl_id, psn_no=claim.psn_no, insutype=claim.insutype,
            fixmedins_code=claim.fixmedins_code, psn_part_amt=result.amounts.psn_part_amt,
            acct_used_flag=claim.acct_used_flag,
        ), producer=PRODUCER, correlation_id=claim.claim_id, causation=env)

    async def _answer_repeat(self, tx: Transaction, store: ClaimStore, env: Envelope[c.ClaimSubmitted], row: Any,
                             digest: str) -> None:
        claim = env.payload
        if row["body_hash"] != digest:
            await self._reject(tx, store, env, "CLAIM_ID_REUSED",
                               f"claim id {claim.claim_id} was already used for a different bill; use a new id")
        elif claim.action == "presettle":
            await self._reject(tx, store, env, "CLAIM_ALREADY_SETTLED",
                               f"claim {claim.claim_id} is already settled; pre-settle a new bill under a new id")
        elif row["status"] == "settled":
            outcomes.settled(tx, row, env)  # the hospital asked again (e.g. after a timeout)
        elif row["status"] in ("cancelling", "cancelled", "void"):
            await self._reject(tx, store, env, "CLAIM_CANCELLED",
                               f"claim {claim.claim_id} was cancelled or voided; submit the bill under a new id")
        # status 'adjudicated': the wallet is paying; the outcome follows by itself

    async def complete_settlement(self, tx: Transaction, env: Envelope[c.PersonalPartPaid]) -> None:
        await self.complete_settlements(tx, [env])

    async def complete_settlements(self, tx: Transaction, envs: Sequence[Envelope[c.PersonalPartPaid]]) -> None:
        """The wallet paid the personal part: post the fund entries and answer the hospital, for a run of
        payments in one statement (a payment already applied, or repeated in the run, changes nothing)."""
        first: dict[str, Envelope[c.PersonalPartPaid]] = {}
        for env in envs:
            first.setdefault(env.payload.claim_id, env)
        found, settled = await repo.settle_answered(tx.conn, {
            claim_id: (env.payload.setl_id, env.payload.model_dump(include={"acct_pay", "acct_mulaid_pay",
                                                                            "psn_cash_pay", "balc"}))
            for claim_id, env in first.items()})
        for env in envs:  # every answer, a repeat within the run too, must name a settlement this service holds
            paid = env.payload
            if paid.claim_id not in found or found[paid.claim_id][0] != paid.setl_id:
                raise LookupError(f"wallet answer for settlement {paid.setl_id} that settlement does not hold")
        for env in envs:
            paid = env.payload
            if first[paid.claim_id] is env and paid.claim_id in settled:
                outcomes.settled(tx, settled[paid.claim_id], env)
            else:
                status = "settled" if paid.claim_id in settled else found[paid.claim_id][1]
                log.info("payment_already_applied", setl_id=paid.setl_id, status=status)

    async def _reject(self, tx: Transaction, store: ClaimStore, env: Envelope[c.ClaimSubmitted], code: str,
                      reason: str) -> None:
        claim = env.payload
        if claim.action == "settle":
            await store.insert_rejection(claim.claim_id, claim.fixmedins_code, code, reason)
        outcomes.rejected(tx, claim.claim_id, claim.fixmedins_code, claim.psn_no, code, reason, env)
