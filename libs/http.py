"""A service's small HTTP API (FastAPI on uvicorn) running in the same event loop as its consumers.

The FastStream application owns the process's signals; uvicorn's own signal handling is switched
off so a SIGTERM stops consuming first, then the HTTP server, then the pool (see ServiceRuntime).

`harden(app, table, store)` is the boundary every service's API goes through (docs/security.md): each
route guarded as its role table says (checked when the app is built: a route without a guard cannot
start), a body size limit, the audit log of state-changing requests, and refusals that are always a
4xx with a code and a sentence, never a 500 for a bad request.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import asyncpg
import structlog
import uvicorn
from fastapi import FastAPI, Query, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from libs.asgi import replaying
from libs.audit.api import audit_router
from libs.audit.identity import hash_key
from libs.audit.middleware import AuditMiddleware
from libs.audit.store import AccessStore
from libs.auth import AccessRefused, Principal, Role, RouteTable, current_keys, roles_of
from libs.auth.http import refusal_response
from libs.messaging.consumer import TRANSIENT_ERRORS

log = structlog.get_logger("http")
T = TypeVar("T")
FASTAPI_DEFAULTS = (http_exception_handler, request_validation_exception_handler)
# Liveness, readiness and metrics (libs/observability): probes and Prometheus call them without a token.
PUBLIC_ROUTES = frozenset({"GET /health", "GET /ready", "GET /metrics"})
MAX_BODY_BYTES = 4 << 20  # 4 MiB: a claim at the contracts' bounds (5,000 fee lines, ~1.5 MB as JSON) fits


class _EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class HttpServer:
    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        config = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False, lifespan="off")
        self._server = _EmbeddedServer(config)
        self._app = app
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if check_no_route_unguarded(self._app):
            if not current_keys().verifying:
                raise RuntimeError("no key to check tokens with (AUTH_SIGNING_KEY or AUTH_VERIFY_KEY): run `make secrets`")
            hash_key()  # the audit log hashes personal identifiers; refuse to serve without its key
        self._task = asyncio.create_task(self._server.serve(), name="http")
        while not self._server.started:
            if self._task.done():
                self._task.result()  # raises why it could not start (port in use...)
            await asyncio.sleep(0.02)

    @property
    def port(self) -> int:
        """The port it listens on (the system's choice when configured with 0)."""
        return int(self._server.servers[0].sockets[0].getsockname()[1])

    async def stop(self) -> None:
        self._server.should_exit = True
        if self._task is not None:
            await self._task


class BodyLimit:
    """413 for a body above `limit` bytes, announced or streamed, before the application reads it."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if not declared.isdigit():
            await refusal_response(400, "INVALID_CONTENT_LENGTH", "The Content-Length header is not a number of "
                                   "bytes; send the request again with a valid one.")(scope, receive, send)
            return
        if int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.limit:
                await self._refuse(scope, receive, send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        await self.app(scope, replaying(b"".join(chunks), receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        await refusal_response(413, "BODY_TOO_LARGE", f"The request body is larger than {self.limit} bytes; "
                               "send fewer items per request.")(scope, receive, send)


def harden(app: FastAPI, table: RouteTable, store: AccessStore, *, max_body: int = MAX_BODY_BYTES) -> FastAPI:
    """Call last in `create_app`: adds the audit log's route, checks every route against `table`, installs
    the refusals, the audit log and the body limit."""
    app.state.access_store = store
    app.include_router(audit_router(lambda: app.state.access_store))
    check_guarded(app, table)
    answer_refusals(app)
    app.add_middleware(AuditMiddleware, store=lambda: app.state.access_store)
    app.add_middleware(BodyLimit, limit=max_body)
    return app


def answer_refusals(app: FastAPI) -> FastAPI:
    """Refusals as a 4xx with a code and a sentence, never a 500 for a bad request, and a 503 to send again
    while the database is away (a service's own handler wins); part of `harden`, and alone for an app
    that is not (the gateway's operators' routes)."""
    handlers = {AccessRefused: _access_refused, RequestValidationError: _invalid_request,
                HTTPException: _http_error, ValidationError: _invalid_value, asyncpg.DataError: _invalid_value,
                UnicodeError: _invalid_value, ValueError: _invalid_value, OverflowError: _invalid_value,
                **dict.fromkeys(TRANSIENT_ERRORS, _unavailable)}
    for error, handler in handlers.items():
        if app.exception_handlers.get(error) in (None, *FASTAPI_DEFAULTS):
            app.exception_handlers[error] = handler
    return app


def guarded_routes(routes: Sequence[Any], prefix: str = "",
                   inherited: frozenset[Role] | None = None) -> Iterator[tuple[str, frozenset[Role] | None]]:
    """("METHOD /path", the roles admitted) of every API route, into included routers too."""
    for route in routes:
        if isinstance(route, APIRoute):
            for method in sorted(route.methods or ()):  # an APIRoute always has its methods
                yield f"{method} {prefix}{route.path}", roles_of(route) or inherited
        elif hasattr(route, "original_router"):  # a router included in the app (FastAPI's _IncludedRouter)
            context = route.include_context
            guards = [getattr(d.dependency, "__auth_roles__", None) for d in context.dependencies]
            yield from guarded_routes(route.original_router.routes, prefix + context.prefix,
                                      next((g for g in guards if g is not None), inherited))


def check_no_route_unguarded(app: FastAPI) -> bool:
    """At start, after everything was mounted: on an app of the platform's tokens (`harden`ed), every
    API route needs a token but the operations endpoints (`PUBLIC_ROUTES`), so a router added after
    `harden` cannot slip through unguarded. An app with a scheme of its own (the hospital gateway's
    signed national-interface calls) authenticates its routes itself. True for an app of the platform's
    tokens."""
    if not hasattr(app.state, "access_store"):
        log.warning("http_app_without_platform_tokens", title=app.title)
        return False
    if open_routes := [key for key, roles in guarded_routes(app.routes) if roles is None and key not in PUBLIC_ROUTES]:
        raise RuntimeError(f"routes without a role guard (libs/auth.require): {open_routes}")
    return True


def check_guarded(app: FastAPI, table: RouteTable) -> None:
    """Every API route is in the table and guarded by exactly the roles the table gives it; the other
    routes are FastAPI's description of the API (/openapi.json, /docs), which holds no data."""
    seen = set()
    for key, roles in guarded_routes(app.routes):
        seen.add(key)
        if key not in table.rules:
            raise RuntimeError(f"{table.service}: {key} is not in the role table")
        if roles != table.rules[key]:
            raise RuntimeError(f"{table.service}: {key} is guarded for {roles}, the table says {set(table.rules[key])}")
    if missing := set(table.rules) - seen:
        raise RuntimeError(f"{table.service}: the role table names routes the app does not have: {sorted(missing)}")


async def _access_refused(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AccessRefused)
    return exc.response()


async def _invalid_request(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # The offending values are left out: they may be an ID number or a name.
    where = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in exc.errors()[:5])
    return refusal_response(422, "INVALID_REQUEST", f"The request is not valid: {where}.")


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    if isinstance(exc.detail, dict) and ("reason_code" in exc.detail or "code" in exc.detail):
        return refusal_response(exc.status_code, exc.detail.get("reason_code") or exc.detail["code"],
                                exc.detail.get("reason") or exc.detail.get("message", ""), exc.headers)
    code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(exc.status_code, "HTTP_ERROR")
    return refusal_response(exc.status_code, code, f"{exc.detail}.")


async def _invalid_value(request: Request, exc: Exception) -> JSONResponse:
    """A value the handler could not use (a NUL byte, a number out of range...): the request's fault."""
    log.warning("invalid_value_refused", path=request.url.path[:200], error=type(exc).__name__)
    return refusal_response(400, "INVALID_VALUE", "A value in the request cannot be used (a control character, "
                            "text that is not valid Unicode, or a number out of range); correct it and send again.")


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    """The database went away (restarting, failing over) or a conflict outlasted its retries: the request's
    transaction did not commit, or, cut during its commit, its outcome is unknown; a route that takes an
    idempotency key answers the same request sent again with the first outcome (tests/e2e/test_restarts.py)."""
    log.warning("unavailable_answered", path=request.url.path[:200], error=type(exc).__name__)
    return refusal_response(503, "TRY_AGAIN", "The service cannot reach its database just now; "
                            "send the same request again in a few seconds.", {"Retry-After": "5"})


async def claim_idempotency_key(request: Request, principal: Principal, kind: str, key: str) -> None:
    """An idempotency key belongs to the sender that used it first (its tenant: an office's region, a
    hospital, a holder, an account); another sender reusing it is refused, so it can neither collide with
    the first request nor be answered from it (docs/security.md, Idempotency keys)."""
    store: AccessStore = request.app.state.access_store
    if await store.claim_key(kind, key, principal.tenant) != principal.tenant:
        raise AccessRefused(409, "IDEMPOTENCY_KEY_TAKEN", f"The {kind.rsplit('.', 1)[-1]} {key[:64]!r} was already used by another "
                            "sender; choose a new one (a random UUID cannot clash).")


MAX_PAGE = 1000  # entries a page at most, whatever `limit` asks


class Page:
    """The query parameters of a list endpoint: `after` (the previous page's `next_after`) and `limit`.

    Every list is paged at the store (keyset, docs/security.md): a query reads the rows whose key is
    greater than the cursor, in key order, `LIMIT page.fetch` (one more than shown, to know whether a
    next page exists), and `page.of(rows, key)` cuts the page and gives the next cursor. A cursor
    is opaque to callers; a composite one is its parts joined by `|` (`page.cursor(n)` reads it back).
    """

    def __init__(self, after: str | None = Query(default=None, max_length=200,
                                                 description="The previous page's `next_after`; omit for the first page."),
                 limit: int = Query(default=100, ge=1, le=MAX_PAGE, description=f"Entries a page, at most {MAX_PAGE}.")) -> None:
        self.after, self.limit = after, limit

    @property
    def fetch(self) -> int:
        """How many rows to read: the page and one more."""
        return self.limit + 1

    def of(self, rows: Sequence[T], key: Callable[[T], str]) -> tuple[list[T], str | None]:
        """The page (the first `limit` of rows read with `LIMIT fetch`) and the next page's cursor."""
        shown = list(rows[:self.limit])
        return shown, (key(shown[-1]) if len(rows) > self.limit else None)

    def cursor(self, parts: int, check: Callable[[tuple[str, ...]], object] = lambda _: None) -> tuple[str, ...] | None:
        """`after` split into its `parts` (None on the first page); anything else is the caller's error, a
        422 naming `after`, never a 500. `check` may convert the parts and raise ValueError."""
        if self.after is None:
            return None
        found = tuple(self.after.split("|", parts - 1))
        try:
            if len(found) != parts:
                raise ValueError("wrong number of parts")
            check(found)
        except ValueError:
            raise RequestValidationError([{
                "type": "value_error", "loc": ("query", "after"), "input": self.after[:50],
                "msg": "not a cursor this list gave (use the previous page's next_after)",
            }]) from None
        return found


def cursor_of(*parts: object) -> str:
    """A composite cursor: the key's parts joined by `|` (read back by `Page.cursor`)."""
    return "|".join(str(p) for p in parts)
