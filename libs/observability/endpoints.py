"""`/health`, `/ready` and `/metrics` on a service's HTTP app, and the count of its HTTP requests.

- `GET /health`: 200 while the process runs its event loop (liveness).
- `GET /ready`: 200 when every readiness check passes, 503 otherwise; the body names each check.
- `GET /metrics`: the Prometheus text format of the process's registry.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from libs.observability.metrics import HTTP_REQUESTS, HTTP_SECONDS

ASGIApp = Callable[[dict[str, Any], Callable[..., Awaitable[Any]], Callable[..., Awaitable[Any]]], Awaitable[None]]
UNMATCHED = "<unmatched>"


class HttpMetrics:
    """ASGI middleware: requests by method, route template (never the raw path) and status."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def sending(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", UNMATCHED)
            method = scope["method"]
            HTTP_REQUESTS.labels(method, route, str(status)).inc()
            HTTP_SECONDS.labels(method, route).observe(time.perf_counter() - started)


def install(app: FastAPI, alive: Callable[[], dict[str, Any]],
            ready: Callable[[], Awaitable[dict[str, bool]]]) -> FastAPI:
    """Add the three endpoints and the request metrics to `app` (before it serves)."""

    @app.get("/health", tags=["operations"], summary="Liveness: the process runs")
    async def health() -> dict[str, Any]:
        return {"status": "alive", **alive()}

    @app.get("/ready", tags=["operations"], summary="Readiness: database, migrations, Kafka, consumers",
             responses={503: {"description": "Not ready: the checks that failed are false"}})
    async def readiness() -> JSONResponse:
        checks = await ready()
        ok = all(checks.values())
        return JSONResponse({"ready": ok, "checks": checks, **alive()}, status_code=200 if ok else 503)

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics of this process")
    async def metrics() -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    app.add_middleware(HttpMetrics)
    return app
