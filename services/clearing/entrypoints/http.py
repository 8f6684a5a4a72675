"""Clearing's HTTP API: reports and commands for operators and institutions (docs/clearing.md).

Thin: each route turns a request into a command or a query for the service layer and its answer into
a body. A cycle's path is its id, `/v1/cycles/national/2026-01-01`. A refusal is answered with
`{"reason_code", "reason"}` and a 4xx status (502 when the settlement engine cannot be asked).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from libs.contracts.clearing import ClearingCycleClosed
from services.clearing.domain import ClearingError, Pair
from services.clearing.service_layer import queries
from services.clearing.service_layer.commands import (
    AdvancePrepayment, CloseCycle, ConfirmItems, Reconcile, RefundPrepayment, RollBackItems,
)
from services.clearing.service_layer.events import cycle_closed
from services.clearing.service_layer.service import ClearingService
from services.clearing.entrypoints.schemas import (
    CycleList, CycleStatusView, CycleView, InstitutionDetailView, InstitutionStatements, InstitutionStatementView,
    ItemsDecided, ItemsRequest, NetPositions, PairTotal, PrepaymentAnswer, PrepaymentBalance, PrepaymentBalances,
    PrepaymentRequest, ReconciliationView, Refusal, RegionStatementView,
)

STATUS = {
    "CYCLE_NOT_FOUND": 404, "ITEM_NOT_IN_DETAIL": 404, "RECONCILIATION_NOT_FOUND": 404,
    "CYCLE_NOT_OPEN": 409, "CYCLE_NOT_CLOSED": 409, "CYCLE_NOT_DUE": 409, "ITEM_ROLLED_BACK": 409,
    "PREPAYMENT_INSUFFICIENT": 409, "PREPAYMENT_ID_REUSED": 409, "SETTLEMENT_UNAVAILABLE": 502,
}
CYCLE = "/v1/cycles/{scope_key}/{period_start}"
REFUSALS = {status: {"model": Refusal} for status in (404, 409, 422, 502)}


def create_app(service: ClearingService) -> FastAPI:
    app = FastAPI(title="Clearing (异地就医清算)", version="1.0.0", responses=REFUSALS,  # type: ignore[arg-type]
                  description="Cycles, net positions, statements, confirmation (3260/3261/3262), "
                              "prepayments and reconciliation (3201/3202). Amounts are integer fen.")

    @app.exception_handler(ClearingError)
    async def refused(_: Request, exc: ClearingError) -> JSONResponse:
        return JSONResponse(Refusal(reason_code=exc.reason_code, reason=exc.sentence).model_dump(),
                            status_code=STATUS.get(exc.reason_code, 422))

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        where = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
        refusal = Refusal(reason_code="INVALID_REQUEST", reason=f"The request is not valid: {where}.")
        return JSONResponse(refusal.model_dump(), status_code=422)

    @app.exception_handler(HTTPException)
    async def no_such_route(_: Request, exc: HTTPException) -> JSONResponse:
        code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(exc.status_code, "HTTP_ERROR")
        return JSONResponse(Refusal(reason_code=code, reason=f"{exc.detail}.").model_dump(), status_code=exc.status_code)

    @app.get("/v1/cycles")
    async def list_cycles(scope_key: str | None = None) -> CycleList:
        return CycleList(cycles=[CycleView.of(c) for c in await service.read(queries.cycles, scope_key)])

    @app.get(CYCLE)
    async def cycle_status(scope_key: str, period_start: str) -> CycleStatusView:
        status = await service.read(queries.cycle_status, f"{scope_key}/{period_start}")
        return CycleStatusView(cycle=CycleView.of(status.cycle), bilateral=_pairs(status.bilateral),
                               fund_pay_sumamt=sum(status.bilateral.values()))

    @app.post(CYCLE + "/close")
    async def close(scope_key: str, period_start: str) -> ClearingCycleClosed:
        return cycle_closed(await service.execute(CloseCycle(f"{scope_key}/{period_start}")))

    @app.get(CYCLE + "/net-positions")
    async def net_positions(scope_key: str, period_start: str) -> NetPositions:
        cycle_id = f"{scope_key}/{period_start}"
        return NetPositions.of(cycle_id, await service.read(queries.net_positions, cycle_id))

    @app.get(CYCLE + "/statements/regions/{admdvs}")
    async def region_statement(scope_key: str, period_start: str, admdvs: str) -> RegionStatementView:
        statement = await service.read(queries.region_statement, f"{scope_key}/{period_start}", admdvs)
        return RegionStatementView.of(statement)

    @app.get(CYCLE + "/statements/institutions")
    async def institution_statements(
        scope_key: str, period_start: str, fixmedins_code: str | None = None,
    ) -> InstitutionStatements:
        cycle_id = f"{scope_key}/{period_start}"
        found = await service.read(queries.institution_statements_of, cycle_id, fixmedins_code)
        return InstitutionStatements(cycle_id=cycle_id, statements=[InstitutionStatementView.of(s) for s in found])

    @app.get(CYCLE + "/institutions/{fixmedins_code}/items")
    async def institution_items(scope_key: str, period_start: str, fixmedins_code: str) -> InstitutionDetailView:
        detail = await service.read(queries.institution_items, f"{scope_key}/{period_start}", fixmedins_code)
        return InstitutionDetailView.of(detail)

    @app.post(CYCLE + "/institutions/{fixmedins_code}/items/confirm")
    async def confirm(scope_key: str, period_start: str, fixmedins_code: str, body: ItemsRequest) -> ItemsDecided:
        command = ConfirmItems(f"{scope_key}/{period_start}", fixmedins_code, _ids(body))
        decisions = await service.execute(command)
        return ItemsDecided(cycle_id=command.cycle_id, fixmedins_code=fixmedins_code, decision="confirmed",
                            setl_ids=[d.setl_id for d in decisions], amount=sum(d.amount for d in decisions))

    @app.post(CYCLE + "/institutions/{fixmedins_code}/items/rollback")
    async def roll_back(scope_key: str, period_start: str, fixmedins_code: str, body: ItemsRequest) -> ItemsDecided:
        command = RollBackItems(f"{scope_key}/{period_start}", fixmedins_code, _ids(body))
        decisions, _ = await service.execute(command)
        return ItemsDecided(cycle_id=command.cycle_id, fixmedins_code=fixmedins_code, decision="rolled_back",
                            setl_ids=[d.setl_id for d in decisions], amount=sum(d.amount for d in decisions),
                            returned_to_cycle_id=next((d.returned_to_cycle_id for d in decisions), None))

    @app.post(CYCLE + "/reconciliation")
    async def reconcile(scope_key: str, period_start: str) -> ReconciliationView:
        return ReconciliationView.of(*await service.reconcile(Reconcile(f"{scope_key}/{period_start}")))

    @app.get(CYCLE + "/reconciliation")
    async def last_reconciliation(scope_key: str, period_start: str) -> ReconciliationView:
        return ReconciliationView.of(*await service.read(queries.last_reconciliation, f"{scope_key}/{period_start}"))

    @app.post("/v1/prepayments")
    async def prepayment(body: PrepaymentRequest) -> PrepaymentAnswer:
        command_type = AdvancePrepayment if body.kind == "advance" else RefundPrepayment
        outcome = await service.execute(command_type(body.entry_id, body.scope_key, body.admdvs, body.amount))
        return PrepaymentAnswer(entry_id=outcome.entry_id, recorded=outcome.recorded, scope_key=body.scope_key,
                                admdvs=body.admdvs, balance=outcome.balance)

    @app.get("/v1/prepayments/{scope_key}")
    async def prepayment_balances(scope_key: str) -> PrepaymentBalances:
        balances = await service.read(queries.prepayment_balances_of, scope_key)
        return PrepaymentBalances(scope_key=scope_key, balances=[
            PrepaymentBalance(admdvs=region, balance=amount) for region, amount in balances.items()
        ])

    return app


def _ids(body: ItemsRequest) -> tuple[str, ...] | None:
    return tuple(body.setl_ids) if body.setl_ids is not None else None


def _pairs(bilateral: dict[Pair, int]) -> list[PairTotal]:
    return [PairTotal(insuplc_admdvs=i, mdtrtarea_admvs=t, amount=a) for (i, t), a in sorted(bilateral.items())]
