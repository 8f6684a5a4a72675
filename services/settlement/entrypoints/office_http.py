"""The enrollment offices' HTTP API for manual reimbursement (零星报销), mounted on settlement's app.

An office (token role `office`, for its region) submits a bill the patient paid in full, withdraws it,
and records the bank transfer that paid it out. Each request becomes a command on
`reimbursements.commands`, written through the outbox in one transaction, so the answer "accepted"
means it will be handled exactly once; the outcome follows on `reimbursements.outcomes` and here
(`GET /v1/reimbursements/{office_ref}`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from libs.contracts import reimbursement as r
from libs.contracts.envelope import Payload
from libs.contracts.topics import REIMBURSEMENTS_COMMANDS
from libs.messaging.emit import emit
from libs.messaging.runtime import ServiceRuntime
from services.settlement.adapters import queries
from services.settlement.domain.reimbursement import reimbursement_claim_id
from services.settlement.entrypoints.office_auth import office


class CancelBody(BaseModel):
    reason: str = Field(default="", max_length=200, description="Why the office withdraws the claim.")


class PayoutBody(BaseModel):
    bank_ref: str = Field(min_length=1, max_length=64, description="The bank transfer's reference.")
    amount: int = Field(gt=0, description="The amount transferred, in fen.")


def _own_region(caller: Any, region: str) -> None:
    if caller.region != region:
        raise HTTPException(403, {"code": "OTHER_REGION",
                                  "message": f"an office of {caller.region} acts only on persons insured in its region, not {region}"})


def router(runtime: ServiceRuntime) -> APIRouter:
    api = APIRouter(prefix="/v1/reimbursements", tags=["manual reimbursement (零星报销)"])

    async def send(command: Payload, region: str, caller: Any, office_ref: str) -> JSONResponse:
        async with runtime.database.transaction() as tx:
            emit(tx, REIMBURSEMENTS_COMMANDS, command.psn_no, command,  # type: ignore[attr-defined]
                 producer=f"office:{region}:{caller.subject}", correlation_id=reimbursement_claim_id(region, office_ref))
        return JSONResponse({"office_ref": office_ref, "status": "accepted",
                             "claim_id": reimbursement_claim_id(region, office_ref)}, status_code=202)

    async def stored(region: str, office_ref: str) -> dict[str, Any]:
        assert runtime.pool is not None
        async with runtime.pool.acquire() as conn:
            found = await queries.claim(conn, reimbursement_claim_id(region, office_ref))
        if found is None or found["kind"] != "reimbursement":
            raise HTTPException(404, {"code": "REIMBURSEMENT_NOT_FOUND",
                                      "message": f"no reimbursement {office_ref} of region {region}"})
        return found

    @api.post("", status_code=202)
    async def submit(command: r.SubmitReimbursement, caller: Any = Depends(office)) -> JSONResponse:
        """Submit a bill paid in full, with its receipts; the outcome follows on reimbursements.outcomes."""
        _own_region(caller, command.insuplc_admdvs)
        return await send(command, command.insuplc_admdvs, caller, command.office_ref)

    @api.get("/{office_ref}")
    async def status(office_ref: str, caller: Any = Depends(office)) -> dict[str, Any]:
        """The reimbursement as stored: status, amounts, explanation, the accounts' part, the payout."""
        return await stored(caller.region, office_ref)

    @api.post("/{office_ref}/cancel", status_code=202)
    async def cancel(office_ref: str, body: CancelBody, caller: Any = Depends(office)) -> JSONResponse:
        found = await stored(caller.region, office_ref)
        command = r.CancelReimbursement(office_ref=office_ref, insuplc_admdvs=caller.region, psn_no=found["psn_no"],
                                        reason=body.reason)
        return await send(command, caller.region, caller, office_ref)

    @api.post("/{office_ref}/payout", status_code=202)
    async def payout(office_ref: str, body: PayoutBody, caller: Any = Depends(office)) -> JSONResponse:
        """The bank transferred the payable to the person."""
        found = await stored(caller.region, office_ref)
        command = r.RecordReimbursementPayout(office_ref=office_ref, insuplc_admdvs=caller.region,
                                              psn_no=found["psn_no"], bank_ref=body.bank_ref, amount=body.amount)
        return await send(command, caller.region, caller, office_ref)

    return api
