"""The wallet's small HTTP API: balances and statements, and the holder's requests answered at once.

A POST body is the same contract as the command on `wallet.commands`, and runs through the same
handler inside `database.transaction()`, so its answer also goes out through the outbox and the same
ids are idempotent on both paths. Refusals are 422 (the request alone is wrong) or 409 (the state or the
time of day refuses it), with the reason code and a sentence. Endpoints and examples: docs/wallet.md.

Who may call each route is `ACCESS` (docs/security.md): a holder sees and moves only their own
account (the body's `psn_no` must be the holder's own); operators and auditors read. Each idempotency
key (transfer_id, payment_id, command_id) belongs to the holder who used it first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal, cast

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from libs.audit.store import store_for
from libs.auth import Principal, Role, RouteTable, ensure_owner
from libs.contracts import wallet as w
from libs.http import MAX_PAGE, claim_idempotency_key, harden
from libs.messaging.consumer import TRANSIENT_ERRORS
from libs.messaging.ports import Database, Transaction
from libs.retry import RetryPolicy, retry_transient
from services.wallet.adapters.statements import statement_page
from services.wallet.domain import Bucket, WalletRefusal
from services.wallet.service_layer import queries
from services.wallet.service_layer.handlers import Refused, WalletHandlers

# A request retries a transient failure (a serialization conflict...) three times within about a second.
RETRY = RetryPolicy(attempts=4, first_delay=0.1, max_delay=0.4)

# Refusals the request alone earns, whatever the account holds or the time is.
REQUEST_REFUSALS = frozenset({
    "INVALID_REQUEST", "INVALID_AMOUNT", "TRANSFER_LIMIT_EXCEEDED", "SELF_TRANSFER", "SELF_BINDING",
    "NO_USE_CHOSEN", "NOT_NEAR_RELATIVE",
})
REFUSED: dict[int | str, dict[str, Any]] = {
    409: {"model": w.Refusal, "description": "Refused by the account's state or the time of day."},
    422: {"model": w.Refusal, "description": "Refused: the request itself is invalid or above a limit."}}
UNKNOWN: dict[int | str, dict[str, Any]] = {
    404: {"model": w.Refusal, "description": "The wallet has no account for this person."}}
HOLDER, OPERATOR, AUDITOR = Role.holder, Role.operator, Role.auditor
ACCESS = RouteTable.of("wallet", {
    "GET /v1/accounts/{psn_no}": {HOLDER, OPERATOR, AUDITOR, Role.service},  # a holder: their own; the gateway's balc
    "GET /v1/accounts/{psn_no}/statement": {HOLDER, OPERATOR, AUDITOR},  # a holder: their own
    "GET /v1/accounts/{psn_no}/personal-part-quote": {Role.service, OPERATOR, AUDITOR},  # the gateway's 2206/2303
    "POST /v1/transfers": {HOLDER},                                      # from their own account
    "POST /v1/premium-payments": {HOLDER},
    "POST /v1/bindings": {HOLDER},
    "POST /v1/bindings/uses": {HOLDER},
    "POST /v1/bindings/revocations": {HOLDER},
})
STATEMENT_PAGE = 100


def create_app(database: Database, handlers: WalletHandlers) -> FastAPI:
    app = FastAPI(title="Wallet: personal accounts, family mutual aid, wallet transfers", version="1.0.0",
                  description="Amounts are integer fen. See docs/wallet.md, Transport and API.")

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in exc.errors()[:5])
        return _refusal(Refused("INVALID_REQUEST", f"The request is not well formed: {problems}."))

    async def execute(verb: Callable[[Transaction], Awaitable[Any]]) -> Any:
        async def in_a_transaction() -> Any:
            async with database.transaction() as tx:
                return await verb(tx)

        try:
            answer = await retry_transient(in_a_transaction, RETRY, TRANSIENT_ERRORS)
        except TRANSIENT_ERRORS:
            return _refusal(Refused("TRY_AGAIN", "The wallet is busy; send the same request again."), 503)
        return _refusal(answer) if isinstance(answer, Refused) else answer

    async def holders(request: Request, who: Principal, kind: str, key: str, psn_no: str) -> None:
        ensure_owner(who, psn_no=psn_no)
        await claim_idempotency_key(request, who, kind, key)

    @app.get("/v1/accounts/{psn_no}", response_model=w.AccountBalances, responses=UNKNOWN)
    async def account(psn_no: str, who: Principal = Depends(ACCESS.dependency("GET /v1/accounts/{psn_no}"))) -> Any:
        ensure_owner(who, psn_no=psn_no)
        async with database.transaction() as tx:
            found = await queries.account_balances(handlers.book_for(tx), psn_no)
        return found or _unknown(psn_no)

    @app.get("/v1/accounts/{psn_no}/statement", response_model=w.AccountStatement, responses=UNKNOWN)
    async def statement(psn_no: str, bucket: Literal["prior_years", "current_year", "wallet"] | None = None,
                        limit: int = Query(default=STATEMENT_PAGE, ge=1, le=MAX_PAGE, description="Lines a page."),
                        before: int | None = Query(default=None, ge=0, lt=2**63,
                                                   description="The previous page's `next_before`."),
                        who: Principal = Depends(ACCESS.dependency("GET /v1/accounts/{psn_no}/statement"))) -> Any:
        """The newest `limit` lines (before the cursor `before`), oldest first; `next_before` pages back to
        older lines. Read a page at a time at the database (docs/security.md, Paging)."""
        ensure_owner(who, psn_no=psn_no)
        async with database.transaction() as tx:
            if await handlers.book_for(tx).account(psn_no) is None:
                return _unknown(psn_no)
            page, next_before = await statement_page(cast(Any, tx).conn, psn_no, Bucket(bucket) if bucket else None,
                                                     before, limit)
        return JSONResponse({**page.model_dump(mode="json"), "next_before": next_before})

    @app.get("/v1/accounts/{psn_no}/personal-part-quote", response_model=w.PersonalPartQuote)
    async def personal_part_quote(
            psn_no: str, psn_part_amt: int = Query(ge=0, le=10**12, description="个人负担总金额 in fen."),
            acct_used_flag: bool = Query(default=True, description="Whether the personal account may be used."),
            _: Principal = Depends(ACCESS.dependency("GET /v1/accounts/{psn_no}/personal-part-quote"))) -> Any:
        """How a settlement would pay this personal part now (own account, relatives, cash); nothing moves."""
        try:
            async with database.transaction() as tx:
                return await queries.personal_part_quote(handlers.book_for(tx), psn_no, psn_part_amt, acct_used_flag,
                                                         handlers.policy, handlers.clock())
        except WalletRefusal as refused:  # a person number the wallet cannot hold
            return _refusal(Refused(refused.reason_code, refused.sentence), 422)

    @app.post("/v1/transfers", response_model=w.TransferCompleted, responses=REFUSED)
    async def transfer(request: Request, body: w.TransferToRelative,
                       who: Principal = Depends(ACCESS.dependency("POST /v1/transfers"))) -> Any:
        await holders(request, who, "wallet.transfer_id", body.transfer_id, body.psn_no)
        return await execute(lambda tx: handlers.transfer_to_relative(tx, body))

    @app.post("/v1/premium-payments", response_model=w.RelativePremiumPaid, responses=REFUSED)
    async def premium_payment(request: Request, body: w.PayRelativePremium,
                              who: Principal = Depends(ACCESS.dependency("POST /v1/premium-payments"))) -> Any:
        await holders(request, who, "wallet.payment_id", body.payment_id, body.psn_no)
        return await execute(lambda tx: handlers.pay_relative_premium(tx, body))

    @app.post("/v1/bindings", response_model=w.BindingChanged, responses=REFUSED)
    async def bind(request: Request, body: w.BindRelative, who: Principal = Depends(ACCESS.dependency("POST /v1/bindings"))) -> Any:
        await holders(request, who, "wallet.command_id", body.command_id, body.psn_no)
        return await execute(lambda tx: handlers.bind_relative(tx, body))

    @app.post("/v1/bindings/uses", response_model=w.BindingChanged, responses=REFUSED)
    async def change_uses(request: Request, body: w.ChangeMutualAidUses,
                          who: Principal = Depends(ACCESS.dependency("POST /v1/bindings/uses"))) -> Any:
        await holders(request, who, "wallet.command_id", body.command_id, body.psn_no)
        return await execute(lambda tx: handlers.change_uses(tx, body))

    @app.post("/v1/bindings/revocations", response_model=w.BindingChanged, responses=REFUSED)
    async def revoke(request: Request, body: w.RevokeBinding,
                     who: Principal = Depends(ACCESS.dependency("POST /v1/bindings/revocations"))) -> Any:
        await holders(request, who, "wallet.command_id", body.command_id, body.psn_no)
        return await execute(lambda tx: handlers.revoke_binding(tx, body))

    return harden(app, ACCESS, store_for(database))


def _refusal(refused: Refused, status: int | None = None) -> JSONResponse:
    code = status or (422 if refused.reason_code in REQUEST_REFUSALS else 409)
    return JSONResponse(w.Refusal(reason_code=refused.reason_code, reason=refused.reason).model_dump(), code)


def _unknown(psn_no: str) -> JSONResponse:
    return _refusal(Refused("UNKNOWN_ACCOUNT", f"The wallet has no account for {psn_no}."), 404)
