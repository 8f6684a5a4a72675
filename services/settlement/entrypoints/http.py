"""Settlement's HTTP API: pre-settlement at the counter, claims, accumulators (5206), the fund ledger,
and the settled/cancelled list that clearing reconciles against (3201/3202).

Who may call each route is `ACCESS` (docs/security.md). A hospital pre-settles and reads only its own
claims (the institution is its credential's, a body naming another is refused); a holder reads only
their own claims and accumulators; clearing reads the settlements list with its service token.
Lists are read a page at a time at the database (`after`, `limit` ≤ 1000, `next_after`;
docs/security.md, Paging).
"""

from __future__ import annotations

from datetime import date, datetime

from fastapi import Depends, FastAPI, HTTPException, Query

from libs.audit.store import store_for
from libs.auth import Principal, Role, RouteTable, ensure_owner
from libs.contracts import claims as c
from libs.http import Page, cursor_of, harden
from libs.messaging.runtime import ServiceRuntime
from services.settlement.adapters import queries
from services.settlement.domain import Rejection
from services.settlement.entrypoints import office_http
from services.settlement.service_layer.adjudication import contract_amounts, contract_setldetail
from services.settlement.service_layer.handlers import SettlementHandlers

HOSPITAL, HOLDER, DESK, OPERATOR, AUDITOR, SERVICE, OFFICE = (
    Role.hospital, Role.holder, Role.clearing_desk, Role.operator, Role.auditor, Role.service, Role.office)
REIMBURSEMENT = "/v1/reimbursements/{office_ref}"
ACCESS = RouteTable.of("settlement", {
    # The offices' manual reimbursement (office_http.py): each office its own region's, by its office_ref.
    "POST /v1/reimbursements": {OFFICE},
    f"GET {REIMBURSEMENT}": {OFFICE},
    f"POST {REIMBURSEMENT}/cancel": {OFFICE},
    f"POST {REIMBURSEMENT}/payout": {OFFICE},
    "POST /v1/presettle": {HOSPITAL, SERVICE},                     # a hospital: for itself only
    "GET /v1/claims/{claim_id}": {HOSPITAL, HOLDER, OPERATOR, AUDITOR},  # its own / their own claims
    "GET /v1/settlements": {SERVICE, DESK, OPERATOR, AUDITOR},     # clearing's reconciliation source
    "GET /v1/accumulators/{psn_no}": {HOLDER, OPERATOR, AUDITOR, Role.service},  # a holder: their own; the gateway's 5206
    "GET /v1/ledger/balances": {DESK, OPERATOR, AUDITOR},
    "GET /v1/ledger/entries/{setl_id}": {DESK, OPERATOR, AUDITOR},
})


def create_app(runtime: ServiceRuntime, handlers: SettlementHandlers) -> FastAPI:
    app = FastAPI(title="Settlement engine", version="1.0.0")
    app.include_router(office_http.router(runtime))  # the offices' manual reimbursement (零星报销)

    def pool():
        assert runtime.pool is not None
        return runtime.pool

    @app.post("/v1/presettle", response_model=c.ClaimPreSettled | c.ClaimRejected)
    async def presettle(claim: c.ClaimSubmitted,
                        who: Principal = Depends(ACCESS.dependency("POST /v1/presettle"))) -> c.ClaimPreSettled | c.ClaimRejected:
        """2206/2303: the same computation as settlement, with no side effect."""
        ensure_owner(who, institution=claim.fixmedins_code)
        result = await handlers.presettle(claim)
        if isinstance(result, Rejection):
            return c.ClaimRejected(claim_id=claim.claim_id, fixmedins_code=claim.fixmedins_code,
                                   psn_no=claim.psn_no, reason_code=result.reason_code.value, reason=result.reason)
        return c.ClaimPreSettled(claim_id=claim.claim_id, fixmedins_code=claim.fixmedins_code, psn_no=claim.psn_no,
                                 amounts=contract_amounts(result), setldetail=contract_setldetail(result),
                                 explanation=list(result.explanation))

    @app.get("/v1/claims/{claim_id}")
    async def claim(claim_id: str, who: Principal = Depends(ACCESS.dependency("GET /v1/claims/{claim_id}"))) -> dict:
        async with pool().acquire() as conn:
            found = await queries.claim(conn, claim_id)
        if found is None:
            raise HTTPException(404, {"reason_code": "CLAIM_NOT_FOUND", "reason": f"There is no claim {claim_id}."})
        ensure_owner(who, institution=found["fixmedins_code"], psn_no=found["psn_no"])
        return found

    @app.get("/v1/settlements")
    async def settlements(start: datetime = Query(alias="from"), end: datetime = Query(alias="to"),
                          page: Page = Depends(), _: Principal = Depends(ACCESS.dependency("GET /v1/settlements"))) -> dict:
        """Settled and cancelled claims whose settlement or cancellation time is in [from, to), in time
        order, a page at a time (`next_after` → `after=`)."""
        after = page.cursor(3, _settlement_cursor)
        key = (datetime.fromisoformat(after[0]), after[1], after[2]) if after else None
        async with pool().acquire() as conn:
            items = await queries.settlements_between(conn, start, end, key, page.fetch)
        shown, next_after = page.of(items, lambda i: cursor_of(i["occurred_at"], i["kind"], i["setl_id"]))
        return {"items": shown, "next_after": next_after}

    @app.get("/v1/accumulators/{psn_no}")
    async def accumulators(psn_no: str, year: int | None = Query(default=None, ge=2000, le=2100),
                           who: Principal = Depends(ACCESS.dependency("GET /v1/accumulators/{psn_no}"))) -> dict:
        """5206: the person's year-to-date accumulators."""
        ensure_owner(who, psn_no=psn_no)
        async with pool().acquire() as conn:
            return await queries.accumulators(conn, psn_no, year or date.today().year)

    @app.get("/v1/ledger/balances")
    async def balances(prefix: str = Query(default="", max_length=100), page: Page = Depends(),
                       _: Principal = Depends(ACCESS.dependency("GET /v1/ledger/balances"))) -> dict:
        """Fund ledger balances, e.g. prefix `fund:430100:` for one region's funds, a page of accounts at a time."""
        async with pool().acquire() as conn:
            found = await queries.ledger_balances(conn, prefix, page.after, page.fetch)
        shown, next_after = page.of(found["accounts"], lambda a: a["account"])
        return {**found, "accounts": shown, "next_after": next_after}

    @app.get("/v1/ledger/entries/{setl_id}")
    async def entries(setl_id: str, page: Page = Depends(),
                      _: Principal = Depends(ACCESS.dependency("GET /v1/ledger/entries/{setl_id}"))) -> dict:
        """One settlement's ledger entries in posting order, a page at a time (`id` is the cursor)."""
        after = page.cursor(1, lambda parts: _entry_id(parts[0]))
        async with pool().acquire() as conn:
            found = await queries.ledger_entries(conn, setl_id, _entry_id(after[0]) if after else None, page.fetch)
        shown, next_after = page.of(found, lambda e: str(e["id"]))
        return {"setl_id": setl_id, "entries": shown, "next_after": next_after}

    return harden(app, ACCESS, store_for(runtime.database))


def _settlement_cursor(parts: tuple[str, ...]) -> None:
    """occurred_at|kind|setl_id, as `next_after` gave it."""
    if datetime.fromisoformat(parts[0]).tzinfo is None or parts[1] not in ("settled", "cancelled"):
        raise ValueError(parts)


def _entry_id(text: str) -> int:
    entry_id = int(text)
    if not 0 <= entry_id < 2**63:
        raise ValueError(text)
    return entry_id
