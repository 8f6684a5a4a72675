"""The console's HTTP side: the sign-in, the single-page application and the JSON it polls.

Thin: each route reads the signed-in operator from the session cookie (a platform JWT issued at
sign-in, HttpOnly, SameSite=Strict, Secure but on plain-HTTP loopback: `secure_cookie`), asks the
service layer, and answers JSON. Actions are POSTs that the service layer checks against the role and
audits. A sign-in is refused while its user name or address is locked out (service_layer/sign_in.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from libs.messaging.consumer import TRANSIENT_ERRORS
from services.console.adapters.auth import CANNOT_SIGN, Principal, Role, issue_token, verify_token
from services.console.domain.login_throttle import LoginLocked
from services.console.domain.operators import ActionForbidden, LoginRefused, may
from services.console.service_layer.actions import Actions, Operator
from services.console.service_layer.pages import Pages
from services.console.service_layer.sign_in import SignIn

STATIC = Path(__file__).parent / "static"
COOKIE = "console_token"
SERVICE_NAME = r"^[a-z][a-z0-9-]{1,30}$"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


class Login(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class Note(BaseModel):
    note: str = Field(default="", max_length=500)


def secure_cookie(setting: str, request: Request) -> bool:
    """`on`/`off` as configured; `auto`: Secure unless the console is reached over plain HTTP at a
    loopback address (`make run`, the tests), so a plain-HTTP deployment on a network fails closed."""
    if setting in ("on", "off"):
        return setting == "on"
    return request.url.scheme == "https" or (request.url.hostname or "") not in LOOPBACK


def create_app(pages: Pages, actions: Actions, sign_in: SignIn, *, session_ttl_s: int, refresh_ms: int,
               cookie_secure: str = "auto", now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> FastAPI:
    app = FastAPI(title="Operations console (运营控制台)", version="1.0.0", docs_url="/api/docs", openapi_url="/api/openapi.json")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    def signed_in(request: Request) -> Operator:
        token = request.cookies.get(COOKIE, "")
        try:
            principal = verify_token(token)
        except CANNOT_SIGN as exc:
            raise HTTPException(401, {"code": "UNAUTHENTICATED", "message": "Sign in first."}) from exc
        if principal.role not in (Role.operator, Role.auditor, Role.clearing_desk):
            raise HTTPException(403, {"code": "FORBIDDEN", "message": "This console is for operators."})
        return Operator(principal.subject, str(principal.role), token)

    @app.exception_handler(ActionForbidden)
    async def forbidden(_: Request, exc: ActionForbidden) -> JSONResponse:
        return JSONResponse({"code": "FORBIDDEN", "message": str(exc)}, status_code=403)

    async def unavailable(_: Request, exc: Exception) -> JSONResponse:
        # its own database away (restarting, failing over): the page keeps what it showed and polls again
        return JSONResponse({"code": "TRY_AGAIN", "message": "The console cannot reach its database just now; "
                             "it will try again by itself."}, status_code=503, headers={"Retry-After": "5"})

    for error in TRANSIENT_ERRORS:
        app.add_exception_handler(error, unavailable)

    @app.exception_handler(HTTPException)
    async def refused(request: Request, exc: HTTPException) -> Any:
        if exc.status_code == 401 and not request.url.path.startswith("/api/"):
            return RedirectResponse("/login")
        body = exc.detail if isinstance(exc.detail, dict) else {"code": f"HTTP_{exc.status_code}", "message": str(exc.detail)}
        return JSONResponse(body, status_code=exc.status_code)

    @app.get("/login", include_in_schema=False)
    async def login_page() -> FileResponse:
        return FileResponse(STATIC / "login.html")

    @app.get("/", include_in_schema=False)
    async def index(_: Operator = Depends(signed_in)) -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.post("/api/login")
    async def login(body: Login, request: Request) -> JSONResponse:
        address = request.client.host if request.client else "unknown"
        try:
            user = await sign_in(body.username, body.password, address, now())
        except LoginLocked as locked:
            return JSONResponse({"code": "LOGIN_LOCKED", "message": str(locked), "retry_after_s": locked.retry_after_s},
                                status_code=429, headers={"Retry-After": str(locked.retry_after_s)})
        except LoginRefused:
            return JSONResponse({"code": "LOGIN_REFUSED", "message": "Wrong user name or password."}, status_code=401)
        try:
            token = issue_token(Principal(user.username, Role(str(user.role))), ttl_s=session_ttl_s)
        except CANNOT_SIGN:
            return JSONResponse({"code": "NO_SIGNING_KEY", "message": "The console has no AUTH_SIGNING_KEY"
                                 " (deploy/secrets.py ensure writes one)."}, status_code=503)
        reply = JSONResponse({"username": user.username, "role": str(user.role), "may": may(user.role)})
        reply.set_cookie(COOKIE, token, max_age=session_ttl_s, httponly=True, samesite="strict", path="/",
                         secure=secure_cookie(cookie_secure, request))
        return reply

    @app.post("/api/logout")
    async def logout(request: Request) -> JSONResponse:
        reply = JSONResponse({"signed_out": True})
        reply.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict",
                            secure=secure_cookie(cookie_secure, request))
        return reply

    @app.get("/api/me")
    async def me(who: Operator = Depends(signed_in)) -> dict[str, Any]:
        return {"username": who.subject, "role": who.role, "may": may(who.role), "refresh_ms": refresh_ms}

    @app.get("/api/overview")
    async def overview(who: Operator = Depends(signed_in)) -> dict[str, Any]:
        return await pages.overview(now(), who.token)

    @app.get("/api/refusals")
    async def refusals(days: int = Query(7, ge=1, le=90), reason_code: str | None = None,
                       institution: str | None = None, _: Operator = Depends(signed_in)) -> dict[str, Any]:
        return await pages.refusals(now(), days, reason_code, institution)

    @app.get("/api/claims/{claim_id}")
    async def claim(claim_id: str, who: Operator = Depends(signed_in)) -> dict[str, Any]:
        return await pages.claim(claim_id, who.token)

    @app.get("/api/funds")
    async def funds(hours: int = Query(6, ge=1, le=24 * 31), region: str | None = Query(None, pattern=r"^\d{6}$"),
                    who: Operator = Depends(signed_in)) -> dict[str, Any]:
        return await pages.funds(now(), hours, who.token, region)

    @app.get("/api/clearing")
    async def clearing(who: Operator = Depends(signed_in)) -> dict[str, Any]:
        return await pages.clearing(who.token)

    @app.get("/api/clearing/cycles/{scope_key}/{period_start}")
    async def cycle(scope_key: str, period_start: str, who: Operator = Depends(signed_in)) -> dict[str, Any]:
        return await pages.cycle(f"{scope_key}/{period_start}", who.token)

    @app.post("/api/clearing/cycles/{scope_key}/{period_start}/close")
    async def close(scope_key: str, period_start: str, who: Operator = Depends(signed_in)) -> JSONResponse:
        return _answer(*await actions.close_cycle(who, f"{scope_key}/{period_start}"))

    @app.post("/api/clearing/cycles/{scope_key}/{period_start}/reconciliation")
    async def reconcile(scope_key: str, period_start: str, who: Operator = Depends(signed_in)) -> JSONResponse:
        return _answer(*await actions.reconcile(who, f"{scope_key}/{period_start}"))

    @app.get("/api/pipeline")
    async def pipeline(who: Operator = Depends(signed_in)) -> dict[str, Any]:
        return await pages.pipeline(who.token)

    @app.get("/api/dead-letters")
    async def dead_letters(service: str | None = Query(None, pattern=SERVICE_NAME),
                           status: str = Query("open", pattern="^(open|replayed|discarded|all)$"),
                           limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0),
                           who: Operator = Depends(signed_in)) -> dict[str, Any]:
        return await pages.dead_letters(service, status, limit, offset, who.token)

    @app.get("/api/dead-letters/{service}/{dead_letter_id}")
    async def dead_letter(service: str, dead_letter_id: int, who: Operator = Depends(signed_in)) -> JSONResponse:
        return _answer(*await pages.dead_letter(service, dead_letter_id, who.token))

    @app.post("/api/dead-letters/{service}/{dead_letter_id}/replay")
    async def replay(service: str, dead_letter_id: int, body: Note, who: Operator = Depends(signed_in)) -> JSONResponse:
        return _answer(*await actions.replay(who, service, dead_letter_id, body.note))

    @app.post("/api/dead-letters/{service}/{dead_letter_id}/discard")
    async def discard(service: str, dead_letter_id: int, body: Note, who: Operator = Depends(signed_in)) -> JSONResponse:
        return _answer(*await actions.discard(who, service, dead_letter_id, body.note))

    @app.get("/api/supervision")
    async def supervision(_: Operator = Depends(signed_in)) -> dict[str, Any]:
        return await pages.supervision(now())

    @app.get("/api/audit")
    async def audit(_: Operator = Depends(signed_in)) -> dict[str, Any]:
        return {"actions": await actions.log()}

    return app


def _answer(status: int, body: Any) -> JSONResponse:
    """A service's answer passed on; a service that did not answer is a 502."""
    return JSONResponse(body, status_code=status or 502)
