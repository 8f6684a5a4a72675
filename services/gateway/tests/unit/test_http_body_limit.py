"""The gateway's HTTP edge bounds what it reads: a body above the limit is refused before it is read whole."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any, cast

import httpx

from services.gateway.adapters.rate_buckets import MemoryRateBuckets
from services.gateway.domain.rate_limit import RatePolicy
from services.gateway.entrypoints.http import Gateway, create_app

PATH = "/fsi/api/rsfComIfsService/callService"


def client() -> httpx.AsyncClient:
    # Neither the service nor the database is reached: the size is checked first (the platform-token API's app
    # is built on the service's dependencies, never called here).
    service = SimpleNamespace(deps=SimpleNamespace(database=None, e_voucher_ttl_s=300.0))
    gateway = Gateway(cast(Any, service), cast(Any, None), window_s=300, rate=RatePolicy(10, 10),
                      buckets=MemoryRateBuckets(), max_body=1000, sealer=cast(Any, None))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(gateway)), base_url="http://gateway")


async def test_a_body_announced_above_the_limit_is_refused_with_413_in_the_short_shape() -> None:
    async with client() as http:
        response = await http.post(PATH, content=b"{" + b" " * 2000 + b"}")
    assert response.status_code == 413
    assert response.json() == {"type": "error", "infcode": -1, "err_msg": "the body has 2002 bytes, more than the 1000 accepted"}


async def test_a_streamed_body_is_refused_once_it_passes_the_limit() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(50):
            yield b" " * 100

    async with client() as http:
        response = await http.post(PATH, content=chunks())
    assert response.status_code == 413 and "larger than the 1000 bytes" in response.json()["err_msg"]
