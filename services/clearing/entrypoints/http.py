"""Clearing's HTTP API: reports and commands for operators and institutions (docs/clearing.md).

Thin: each route turns a request into a command or a query for the service layer and its answer into
a body. A cycle's path is its id, `/v1/cycles/national/2026-01-01`. A refusal is answered with
`{"reason_code", "reason"}` and a 4xx status (502 when the settlement engine cannot be asked).
Every list is a page read at the store (`after`, `limit` ≤ 1000, `next_after`; docs/security.md,
Paging); totals beside a page are the whole list's.
Who may call each route is `ACCESS` (docs/security.md); a hospital sees and decides only its own
items, an office reads only its own region's statement.
"""

from __future__ import annotations

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from libs.audit.store import store_for
from libs.auth import Principal, Role, RouteTable, ensure_owner
from libs.contracts.clearing import ClearingCycleClosed
from libs.http import Page, claim_idempotency_key, cursor_of, harden
from services.clearing.domain import ClearingError, Pair
from services.clearing.domain.ports import MismatchKey
from services.clearing.entrypoints.schemas import (
    CycleList,
    CycleStatusView,
    CycleView,
    InstitutionDetailView,
    InstitutionStatements,
    InstitutionStatementView,
    ItemsDecided,
    ItemsRequest,
    NetPositions,
    PairTotal,
    PrepaymentAnswer,
    PrepaymentBalance,
    PrepaymentBalances,
    PrepaymentRequest,
    ReconciliationView,
    Refusal,
    RegionStatementView,
)
from services.clearing.service_layer import queries
from services.clearing.service_layer.commands import (
    AdvancePrepayment,
    CloseCycle,
    ConfirmItems,
    Reconcile,
    RefundPrepayment,
    RollBackItems,
)
from services.clearing.service_layer.events import cycle_closed
from services.clearing.service_layer.service import ClearingService

STATUS = {
    "CYCLE_NOT_FOUND": 404, "ITEM_NOT_IN_DETAIL": 404, "RECONCILIATION_NOT_FOUND": 404,
    "CYCLE_NOT_OPEN": 409, "CYCLE_NOT_CLOSED": 409, "CYCLE_NOT_DUE": 409, "ITEM_ROLLED_BACK": 409,
    "PREPAYMENT_INSUFFICIENT": 409, "PREPAYMENT_ID_REUSED": 409, "SETTLEMENT_UNAVAILABLE": 502,
}
CYCLE = "/v1/cycles/{scope_key}/{period_start}"
REFUSALS = {status: {"model": Refusal} for status in (401, 403, 404, 409, 422, 502)}
ITEMS = CYCLE + "/institutions/{fixmedins_code}/items"
DESK, OPERATOR, AUDITOR, HOSPITAL, OFFICE = (
    Role.clearing_desk, Role.operator, Role.auditor, Role.hospital, Role.office)
READERS = {DESK, OPERATOR, AUDITOR}
ACCESS = RouteTable.of("clearing", {
    "GET /v1/cycles": READERS,
    f"GET {CYCLE}": READERS,
    f"POST {CYCLE}/close": {DESK},
    f"GET {CYCLE}/net-positions": READERS,
    f"GET {CYCLE}/statements/regions/{{admdvs}}": {*READERS, OFFICE},        # an office: its own region
    f"GET {CYCLE}/statements/institutions": {*READERS, HOSPITAL},           # a hospital: its own statement
    f"GET {ITEMS}": {*READERS, HOSPITAL},                                   # a hospital: its own items
    f"POST {ITEMS}/confirm": {DESK, HOSPITAL},                              # a hospital: its own items
    f"POST {ITEMS}/rollback": {DESK, HOSPITAL},                             # a hospital: its own items
    f"POST {CYCLE}/reconciliation": {DESK},
    f"GET {CYCLE}/reconciliation": READERS,
    "POST /v1/prepayments": {DESK},
    "GET /v1/prepayments/{scope_key}": READERS,
})


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
    async def list_cycles(scope_key: str | None = None, page: Page = Depends(),
                          _: Principal = Depends(ACCESS.dependency("GET /v1/cycles"))) -> CycleList:
        found = await service.read(queries.cycles, scope_key, page.after, page.fetch)
        shown, next_after = page.of(found, lambda c: c.cycle_id)
        return CycleList(cycles=[CycleView.of(c) for c in shown], next_after=next_after)

    @app.get(CYCLE)
    async def cycle_status(scope_key: str, period_start: str, _: Principal = Depends(ACCESS.dependency(f"GET {CYCLE}"))) -> CycleStatusView:
        status = await service.read(queries.cycle_status, f"{scope_key}/{period_start}")
        return CycleStatusView(cycle=CycleView.of(status.cycle), bilateral=_pairs(status.bilateral),
                               fund_pay_sumamt=sum(status.bilateral.values()))

    @app.post(CYCLE + "/close")
    async def close(scope_key: str, period_start: str,
                    _: Principal = Depends(ACCESS.dependency(f"POST {CYCLE}/close"))) -> ClearingCycleClosed:
        return cycle_closed(await service.execute(CloseCycle(f"{scope_key}/{period_start}")))

    @app.get(CYCLE + "/net-positions")
    async def net_positions(scope_key: str, period_start: str, page: Page = Depends(),
                            _: Principal = Depends(ACCESS.dependency(f"GET {CYCLE}/net-positions"))) -> NetPositions:
        cycle_id = f"{scope_key}/{period_start}"
        found = await service.read(queries.net_positions, cycle_id, page.after, page.fetch)
        shown, next_after = page.of(found.positions, lambda p: p.admdvs)
        return NetPositions.of(cycle_id, shown, found.totals, next_after)

    @app.get(CYCLE + "/statements/regions/{admdvs}")
    async def region_statement(scope_key: str, period_start: str, admdvs: str, page: Page = Depends(),
                               who: Principal = Depends(ACCESS.dependency(f"GET {CYCLE}/statements/regions/{{admdvs}}")),
                               ) -> RegionStatementView:
        ensure_owner(who, region=admdvs)
        statement = await service.read(queries.region_statement, f"{scope_key}/{period_start}", admdvs,
                                       page.after, page.fetch)
        return RegionStatementView.of(statement, *page.of(statement.counterparties, lambda c: c.admdvs))

    @app.get(CYCLE + "/statements/institutions")
    async def institution_statements(
        scope_key: str, period_start: str, fixmedins_code: str | None = None, page: Page = Depends(),
        who: Principal = Depends(ACCESS.dependency(f"GET {CYCLE}/statements/institutions")),
    ) -> InstitutionStatements:
        if who.role is HOSPITAL:
            ensure_owner(who, institution=fixmedins_code or who.institution)
            fixmedins_code = who.institution
        cycle_id = f"{scope_key}/{period_start}"
        after = page.cursor(2)  # mdtrtarea_admvs|fixmedins_code: a statement is an institution's in one region
        found = await service.read(queries.institution_statements_of, cycle_id, fixmedins_code,
                                   (after[1], after[0]) if after else None, page.fetch)
        shown, next_after = page.of(found, lambda s: cursor_of(s.mdtrtarea_admvs, s.fixmedins_code))
        return InstitutionStatements(cycle_id=cycle_id, statements=[InstitutionStatementView.of(s) for s in shown],
                                     next_after=next_after)

    @app.get(ITEMS)
    async def institution_items(scope_key: str, period_start: str, fixmedins_code: str, page: Page = Depends(),
                                who: Principal = Depends(ACCESS.dependency(f"GET {ITEMS}"))) -> InstitutionDetailView:
        ensure_owner(who, institution=fixmedins_code)
        detail = await service.read(queries.institution_items, f"{scope_key}/{period_start}", fixmedins_code,
                                    page.after, page.fetch)
        return InstitutionDetailView.of(detail, *page.of(detail.items, lambda i: i.setl_id))

    @app.post(ITEMS + "/confirm")
    async def confirm(scope_key: str, period_start: str, fixmedins_code: str, body: ItemsRequest,
                      who: Principal = Depends(ACCESS.dependency(f"POST {ITEMS}/confirm"))) -> ItemsDecided:
        ensure_owner(who, institution=fixmedins_code)
        command = ConfirmItems(f"{scope_key}/{period_start}", fixmedins_code, _ids(body))
        decisions = await service.execute(command)
        return ItemsDecided(cycle_id=command.cycle_id, fixmedins_code=fixmedins_code, decision="confirmed",
                            setl_ids=[d.setl_id for d in decisions], amount=sum(d.amount for d in decisions))

    @app.post(ITEMS + "/rollback")
    async def roll_back(scope_key: str, period_start: str, fixmedins_code: str, body: ItemsRequest,
                        who: Principal = Depends(ACCESS.dependency(f"POST {ITEMS}/rollback"))) -> ItemsDecided:
        ensure_owner(who, institution=fixmedins_code)
        command = RollBackItems(f"{scope_key}/{period_start}", fixmedins_code, _ids(body))
        decisions, _ = await service.execute(command)
        return ItemsDecided(cycle_id=command.cycle_id, fixmedins_code=fixmedins_code, decision="rolled_back",
                            setl_ids=[d.setl_id for d in decisions], amount=sum(d.amount for d in decisions),
                            returned_to_cycle_id=next((d.returned_to_cycle_id for d in decisions), None))

    @app.post(CYCLE + "/reconciliation")
    async def reconcile(scope_key: str, period_start: str, page: Page = Depends(),
                        _: Principal = Depends(ACCESS.dependency(f"POST {CYCLE}/reconciliation"))) -> ReconciliationView:
        run = await service.reconcile(Reconcile(f"{scope_key}/{period_start}"))
        return _report(await service.read(queries.reconciliation, run, _mismatch_key(page), page.fetch), page)

    @app.get(CYCLE + "/reconciliation")
    async def last_reconciliation(scope_key: str, period_start: str, page: Page = Depends(),
                                  _: Principal = Depends(ACCESS.dependency(f"GET {CYCLE}/reconciliation"))) -> ReconciliationView:
        found = await service.read(queries.last_reconciliation, f"{scope_key}/{period_start}", _mismatch_key(page),
                                   page.fetch)
        return _report(found, page)

    @app.post("/v1/prepayments")
    async def prepayment(request: Request, body: PrepaymentRequest,
                         who: Principal = Depends(ACCESS.dependency("POST /v1/prepayments"))) -> PrepaymentAnswer:
        await claim_idempotency_key(request, who, "prepayment.entry_id", body.entry_id)
        command_type = AdvancePrepayment if body.kind == "advance" else RefundPrepayment
        outcome = await service.execute(command_type(body.entry_id, body.scope_key, body.admdvs, body.amount))
        return PrepaymentAnswer(entry_id=outcome.entry_id, recorded=outcome.recorded, scope_key=body.scope_key,
                                admdvs=body.admdvs, balance=outcome.balance)

    @app.get("/v1/prepayments/{scope_key}")
    async def prepayment_balances(scope_key: str, page: Page = Depends(),
                                  _: Principal = Depends(ACCESS.dependency("GET /v1/prepayments/{scope_key}"))) -> PrepaymentBalances:
        found = await service.read(queries.prepayment_balances_of, scope_key, page.after, page.fetch)
        shown, next_after = page.of(found, lambda b: b[0])
        return PrepaymentBalances(scope_key=scope_key, next_after=next_after, balances=[
            PrepaymentBalance(admdvs=region, balance=amount) for region, amount in shown
        ])

    return harden(app, ACCESS, store_for(service.database))


def _ids(body: ItemsRequest) -> tuple[str, ...] | None:
    return tuple(body.setl_ids) if body.setl_ids is not None else None


def _mismatch_key(page: Page) -> MismatchKey | None:
    """The 3202 detail's cursor: setl_id|fact_kind|fund_pay_type."""
    def check(parts: tuple[str, ...]) -> None:
        if parts[1] not in ("settled", "cancelled"):
            raise ValueError(parts[1])
    found = page.cursor(3, check)
    return (found[0], found[1], found[2]) if found else None


def _report(found: queries.ReconciliationPage, page: Page) -> ReconciliationView:
    return ReconciliationView.of(found.run, *page.of(
        found.mismatches, lambda m: cursor_of(m.setl_id, m.fact_kind, m.fund_pay_type)))


def _pairs(bilateral: dict[Pair, int]) -> list[PairTotal]:
    return [PairTotal(insuplc_admdvs=i, mdtrtarea_admvs=t, amount=a) for (i, t), a in sorted(bilateral.items())]
