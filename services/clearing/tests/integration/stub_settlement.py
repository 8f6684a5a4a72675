"""A stand-in for the settlement engine's `GET /v1/settlements?from=…&to=…`, served over real HTTP.

The integration tests publish outcomes straight onto `claims.outcomes`, so the real engine would hold
none of them; this stub lists exactly the records a test gives it, in the engine's shape.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Depends, FastAPI, Query

from libs.auth import Principal, Role, require
from libs.http import HttpServer
from tests.support.stack import free_port


class StubSettlement:
    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        app = FastAPI()

        @app.get("/v1/settlements")
        async def settlements(start: datetime = Query(alias="from"), end: datetime = Query(alias="to"),
                              _: Principal = Depends(require(Role.service))) -> dict:  # as settlement's own
            return {"items": [r for r in self.records if start <= datetime.fromisoformat(r["occurred_at"]) < end]}

        self._server = HttpServer(app, "127.0.0.1", self.port)

    async def start(self) -> None:
        await self._server.start()

    async def stop(self) -> None:
        await self._server.stop()
