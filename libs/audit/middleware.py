"""The audit log of HTTP requests: every state-changing request (POST, PUT, PATCH, DELETE), answered or not.

A row is written before the request reaches the route (so no effect can happen unrecorded; if the log
cannot be written the request is refused with 503 and nothing runs), then completed with the route,
the status and the refusal's reason code. Runs inside `BodyLimit`, so the body it reads is bounded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from libs.asgi import replaying
from libs.audit.identity import caller, printable, target, who
from libs.audit.store import AccessStore, AuditEntry
from libs.auth.http import refusal_response

log = structlog.get_logger("audit")
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
KEPT_ANSWER = 4096  # bytes of the answer read for its reason code


class AuditMiddleware:
    def __init__(self, app: ASGIApp, store: Callable[[], AccessStore]) -> None:
        self.app, self.store = app, store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITES:
            await self.app(scope, receive, send)
            return
        body, replay = await _buffered(receive)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        subject, role, tenant = who(caller(headers.get("authorization")))
        parsed = _json(body)
        store = self.store()
        try:
            entry_id = await store.begin(AuditEntry(subject, role, tenant, "http", scope["method"], printable(scope["path"]),
                                                    target=target(parsed, {})))
        except Exception:
            log.exception("audit_log_unavailable", path=printable(scope["path"]))
            await refusal_response(503, "TRY_AGAIN", "The service cannot record the request just now; nothing was "
                                   "done. Send the same request again in a moment.")(scope, replay, send)
            return
        answer: dict[str, Any] = {"status": 500, "head": b""}

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
            elif message["type"] == "http.response.body" and len(answer["head"]) < KEPT_ANSWER:
                answer["head"] += message.get("body", b"")[:KEPT_ANSWER]
            await send(message)

        try:
            await self.app(scope, replay, sending)
        finally:
            route = scope.get("route")
            try:
                await store.finish(entry_id, getattr(route, "path_format", printable(scope["path"])),
                                   getattr(route, "name", None), target(parsed, scope.get("path_params") or {}),
                                   answer["status"], _code(answer["head"]))
            except Exception:
                log.exception("audit_log_not_completed", audit_id=entry_id)


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    body = b"".join(chunks)
    return body, replaying(body, receive)


def _json(body: bytes) -> Any:
    try:
        return orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        return None


def _code(head: bytes) -> str | None:
    answer = _json(head)
    if not isinstance(answer, dict):
        return None
    code = answer.get("reason_code") or answer.get("code") or ("REPEATED" if answer.get("repeated") else None)
    return str(code)[:64] if code else None
