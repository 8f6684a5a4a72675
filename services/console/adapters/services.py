"""The platform's services as the console reaches them: their HTTP APIs, nothing else.

Every call carries the signed-in user's own token, so each service applies its own role table to the
person asking and records who asked; the console's service token is used only where no user asks
(health and readiness probes). Every answer comes back as (status, body); a service that
does not answer is status 0 with the reason, so a page can say which part is missing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

Answer = tuple[int, Any]


@dataclass
class ServicesClient:
    urls: Mapping[str, str]  # service name -> base URL
    service_token: Callable[[], str | None]  # the console's own token (None: no signing key, send none)
    timeout: float = 5.0

    def __post_init__(self) -> None:
        self._http = httpx.AsyncClient(timeout=self.timeout)

    async def close(self) -> None:
        await self._http.aclose()

    async def call(self, service: str, method: str, path: str, *, token: str | None = None,
                   json: Any = None, params: Mapping[str, Any] | None = None) -> Answer:
        base = self.urls.get(service)
        if base is None:
            return 0, {"code": "UNKNOWN_SERVICE", "message": f"The console does not know a service {service}."}
        headers = self._auth(token)
        try:
            reply = await self._http.request(method, base + path, headers=headers, json=json, params=params)
        except httpx.HTTPError as exc:
            return 0, {"code": "UNREACHABLE", "message": f"{service} did not answer ({type(exc).__name__})."}
        try:
            body = reply.json()
        except ValueError:
            body = reply.text
        return reply.status_code, body

    def _auth(self, token: str | None) -> dict[str, str]:
        token = token or self.service_token()
        return {"Authorization": f"Bearer {token}"} if token else {}

    async def get(self, service: str, path: str, token: str | None = None, **params: Any) -> Answer:
        return await self.call(service, "GET", path, token=token,
                               params={k: v for k, v in params.items() if v is not None})

    async def text(self, service: str, path: str) -> tuple[int, str]:
        base = self.urls.get(service)
        if base is None:
            return 0, ""
        try:
            reply = await self._http.get(base + path, headers=self._auth(None))
        except httpx.HTTPError:
            return 0, ""
        return reply.status_code, reply.text

    async def each(self, path: str, token: str | None = None, **params: Any) -> dict[str, Answer]:
        """The same GET on every service, at once."""
        names = list(self.urls)
        answers = await asyncio.gather(*(self.get(name, path, token, **params) for name in names))
        return dict(zip(names, answers, strict=True))


def refusal(status: int, body: Any) -> dict[str, str]:
    """A service's refusal in one shape, whichever shape it used ({code, message}, {reason_code, reason},
    FastAPI's {detail})."""
    if isinstance(body, dict) and isinstance(body.get("detail"), dict):
        body = body["detail"]
    if isinstance(body, dict):
        code = body.get("code") or body.get("reason_code") or f"HTTP_{status}"
        message = body.get("message") or body.get("reason") or str(body.get("detail", ""))
        return {"code": str(code), "message": str(message)}
    return {"code": f"HTTP_{status}", "message": str(body)[:300]}
