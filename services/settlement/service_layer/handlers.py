"""Settlement's handlers, one verb each, registered in one table per topic."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import orjson

from libs.contracts import claims as c
from libs.contracts.enrollment import CoverageChanged
from libs.contracts.envelope import Envelope
from libs.contracts.topics import CLAIMS_ADJUDICATED, CLAIMS_OUTCOMES
from libs.messaging.emit import emit
from libs.messaging.ports import Transaction
from services.settlement.adapters import repository as repo
from services.settlement.service_layer.adjudication import Adjudicator, Rejected

PRODUCER = "settlement"


def body_hash(claim: c.ClaimSubmitted) -> str:
    """Identity of a claim's content; `action` is left out so a pre-settled claim can be settled."""
    body = claim.model_dump(mode="json", exclude={"action"})
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


class SettlementHandlers:
    def __init__(self, adjudicator: Adjudicator) -> None:
        self.adjudicator = adjudicator

    def claims_table(self) -> dict[type, Any]:
        return {c.ClaimSubmitted: self.submit_claim}

    def wallet_table(self) -> dict[type, Any]:
        return {c.PersonalPartPaid: self.complete_settlement}

    def enrollment_table(self) -> dict[type, Any]:
        return {CoverageChanged: self.project_coverage}

    async def project_coverage(self, tx: Transaction, env: Envelope[CoverageChanged]) -> None:
        p = env.payload
        await repo.upsert_coverage(tx.conn, p.psn_no, p.version, p.model_dump(mode="json"))

    async def submit_claim(self, tx: Transaction, env: Envelope[c.ClaimSubmitted]) -> None:
        claim = env.payload
        digest = body_hash(claim)
        existing = await repo.get_claim(tx.conn, claim.claim_id)
        if existing is not None:
            if existing["body_hash"] != digest:
                await self._reject(tx, env, "CLAIM_ID_REUSED",
                                   f"claim id {claim.claim_id} was already used for a different bill; use a new id")
            return  # the same claim again: it is (being) settled once; the outcome was or will be sent
        coverage = await repo.get_coverage(tx.conn, claim.psn_no)
        try:
            result = self.adjudicator.adjudicate(claim, coverage)
        except Rejected as rejection:
            await self._reject(tx, env, rejection.code, rejection.reason)
            return
        if claim.action == "presettle":
            emit(tx, CLAIMS_OUTCOMES, claim.fixmedins_code, c.ClaimPreSettled(
                claim_id=claim.claim_id, fixmedins_code=claim.fixmedins_code, psn_no=claim.psn_no,
                amounts=result.amounts, setldetail=result.setldetail, explanation=result.explanation,
            ), producer=PRODUCER, correlation_id=claim.claim_id, causation=env)
            return
        setl_id = f"S{claim.claim_id}"
        await repo.insert_claim(tx.conn, {
            "claim_id": claim.claim_id, "body_hash": digest, "setl_id": setl_id, "psn_no": claim.psn_no,
            "fixmedins_code": claim.fixmedins_code, "insutype": claim.insutype, "med_type": claim.med_type,
            "insuplc_admdvs": claim.insuplc_admdvs, "mdtrtarea_admvs": claim.mdtrtarea_admvs,
            "setl_year": claim.begntime.year, "amounts": result.amounts.model_dump(mode="json"),
            "setldetail": [d.model_dump(mode="json") for d in result.setldetail],
            "explanation": result.explanation, "accumulator_delta": result.accumulator_delta,
        })
        emit(tx, CLAIMS_ADJUDICATED, claim.psn_no, c.ClaimAdjudicated(
            claim_id=claim.claim_id, setl_id=setl_id, psn_no=claim.psn_no, insutype=claim.insutype,
            fixmedins_code=claim.fixmedins_code, psn_part_amt=result.amounts.psn_part_amt,
            acct_used_flag=claim.acct_used_flag,
        ), producer=PRODUCER, correlation_id=claim.claim_id, causation=env)

    async def complete_settlement(self, tx: Transaction, env: Envelope[c.PersonalPartPaid]) -> None:
        paid = env.payload
        row = await repo.get_claim(tx.conn, paid.claim_id, for_update=True)
        if row is None or row["status"] != "adjudicated":
            raise LookupError(f"payment for claim {paid.claim_id} that is not awaiting payment")
        wallet = paid.model_dump(include={"acct_pay", "acct_mulaid_pay", "psn_cash_pay", "balc"})
        await repo.mark_settled(tx.conn, paid.claim_id, wallet)
        amounts = c.SettlementAmounts.model_validate_json(row["amounts"])
        setldetail = [c.FundDetail.model_validate(d) for d in orjson.loads(row["setldetail"])]
        await repo.post_entries(tx.conn, row["setl_id"], "settle",
                                self.adjudicator.postings(row["insuplc_admdvs"], row["fixmedins_code"], setldetail))
        emit(tx, CLAIMS_OUTCOMES, row["fixmedins_code"], c.ClaimSettled(
            claim_id=row["claim_id"], fixmedins_code=row["fixmedins_code"], psn_no=row["psn_no"],
            setl_id=row["setl_id"], insutype=row["insutype"], med_type=row["med_type"],
            insuplc_admdvs=row["insuplc_admdvs"], mdtrtarea_admvs=row["mdtrtarea_admvs"],
            setl_time=datetime.now(UTC), amounts=amounts, setldetail=setldetail,
            explanation=orjson.loads(row["explanation"]), **wallet,
        ), producer=PRODUCER, correlation_id=row["claim_id"], causation=env)

    async def _reject(self, tx: Transaction, env: Envelope[c.ClaimSubmitted], code: str, reason: str) -> None:
        claim = env.payload
        if claim.action == "settle":
            await repo.insert_rejection(tx.conn, claim.claim_id, claim.fixmedins_code, code, reason)
        emit(tx, CLAIMS_OUTCOMES, claim.fixmedins_code, c.ClaimRejected(
            claim_id=claim.claim_id, fixmedins_code=claim.fixmedins_code, psn_no=claim.psn_no,
            reason_code=code, reason=reason,
        ), producer=PRODUCER, correlation_id=claim.claim_id, causation=env)
