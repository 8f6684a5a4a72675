"""Settlement's HTTP API: pre-settlement at the counter, claims, accumulators (5206), the fund ledger,
and the settled/cancelled list that clearing reconciles against (3201/3202)."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import FastAPI, HTTPException, Query

from libs.contracts import claims as c
from libs.messaging.runtime import ServiceRuntime
from services.settlement.adapters import queries
from services.settlement.domain import Rejection
from services.settlement.entrypoints import office_http
from services.settlement.service_layer.adjudication import contract_amounts, contract_setldetail
from services.settlement.service_layer.handlers import SettlementHandlers


def create_app(runtime: ServiceRuntime, handlers: SettlementHandlers) -> FastAPI:
    app = FastAPI(title="Settlement engine", version="1.0.0")
    app.include_router(office_http.router(runtime))  # the offices' manual reimbursement (零星报销)

    def pool():
        assert runtime.pool is not None
        return runtime.pool

    @app.post("/v1/presettle", response_model=c.ClaimPreSettled | c.ClaimRejected)
    async def presettle(claim: c.ClaimSubmitted) -> c.ClaimPreSettled | c.ClaimRejected:
        """2206/2303: the same computation as settlement, with no side effect."""
        async with pool().acquire() as conn:
            result = await handlers.decide(handlers.stores.on(conn), claim, lock=False)
        if isinstance(result, Rejection):
            return c.ClaimRejected(claim_id=claim.claim_id, fixmedins_code=claim.fixmedins_code,
                                   psn_no=claim.psn_no, reason_code=result.reason_code.value, reason=result.reason)
        return c.ClaimPreSettled(claim_id=claim.claim_id, fixmedins_code=claim.fixmedins_code, psn_no=claim.psn_no,
                                 amounts=contract_amounts(result), setldetail=contract_setldetail(result),
                                 explanation=list(result.explanation))

    @app.get("/v1/claims/{claim_id}")
    async def claim(claim_id: str) -> dict:
        async with pool().acquire() as conn:
            found = await queries.claim(conn, claim_id)
        if found is None:
            raise HTTPException(404, {"reason_code": "CLAIM_NOT_FOUND", "reason": f"no claim {claim_id}"})
        return found

    @app.get("/v1/settlements")
    async def settlements(start: datetime = Query(alias="from"), end: datetime = Query(alias="to")) -> dict:
        """Settled and cancelled claims whose settlement or cancellation time is in [from, to)."""
        async with pool().acquire() as conn:
            return {"items": await queries.settlements_between(conn, start, end)}

    @app.get("/v1/accumulators/{psn_no}")
    async def accumulators(psn_no: str, year: int | None = None) -> dict:
        """5206: the person's year-to-date accumulators."""
        async with pool().acquire() as conn:
            return await queries.accumulators(conn, psn_no, year or date.today().year)

    @app.get("/v1/ledger/balances")
    async def balances(prefix: str = "") -> dict:
        """Fund ledger balances, e.g. prefix `fund:430100:` for one region's funds."""
        async with pool().acquire() as conn:
            return await queries.ledger_balances(conn, prefix)

    @app.get("/v1/ledger/entries/{setl_id}")
    async def entries(setl_id: str) -> dict:
        async with pool().acquire() as conn:
            return {"setl_id": setl_id, "entries": await queries.ledger_entries(conn, setl_id)}

    return app
