"""The offices' endpoints let no call through without an office's credential."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from services.settlement.entrypoints import office_http


async def test_a_call_without_an_offices_credential_is_refused_and_does_nothing():
    app = FastAPI()
    app.include_router(office_http.router(runtime=None))  # type: ignore[arg-type]  # never reached
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://settlement") as client:
        response = await client.get("/v1/reimbursements/REF-1")
    assert response.status_code == 401  # libs.auth's require(Role.office): no token
