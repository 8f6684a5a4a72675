"""The platform's HTTP queries the gateway answers from: enrollment's person (1101), the wallet's
balances (balc) and how it would pay a personal part (2206/2303), settlement's accumulators (5206).
Identity comes back masked; it is never logged."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx


class PlatformUnavailable(Exception):
    """A platform service did not answer; the HIS may send the same request again."""


class PlatformQueries:
    def __init__(self, enrollment_url: str, wallet_url: str, settlement_url: str, token: Callable[[], str],
                 timeout_s: float = 5.0) -> None:
        self._token = token  # the gateway's service credential, asked for on each request (it expires)
        self._client = httpx.AsyncClient(timeout=timeout_s, event_hooks={"request": [self._authorize]})
        self._enrollment, self._wallet, self._settlement = (u.rstrip("/") for u in (enrollment_url, wallet_url, settlement_url))

    async def _authorize(self, request: httpx.Request) -> None:
        request.headers["Authorization"] = f"Bearer {self._token()}"

    async def close(self) -> None:
        await self._client.aclose()

    async def _get(self, url: str, **params: Any) -> dict[str, Any] | None:
        try:
            response = await self._client.get(url, params={k: v for k, v in params.items() if v is not None})
        except httpx.HTTPError as exc:
            raise PlatformUnavailable(f"{type(exc).__name__}") from None
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise PlatformUnavailable(f"HTTP {response.status_code}")
        return response.json()

    async def person(self, psn_no: str) -> dict[str, Any] | None:
        """Enrollment's PersonCoverage (masked certno and name, the coverage snapshot) or None."""
        return await self._get(f"{self._enrollment}/v1/persons/{psn_no}")

    async def person_by_certno(self, certno: str) -> dict[str, Any] | None:
        """The same, found by the resident ID number (POSTed, so it is in no URL or access log)."""
        try:
            response = await self._client.post(f"{self._enrollment}/v1/persons/lookup", json={"certno": certno})
        except httpx.HTTPError as exc:
            raise PlatformUnavailable(f"{type(exc).__name__}") from None
        if response.status_code in (404, 422):
            return None
        if response.status_code >= 400:
            raise PlatformUnavailable(f"HTTP {response.status_code}")
        return response.json()

    async def balance(self, psn_no: str) -> int | None:
        """The personal account's total in fen, None when the person has no account."""
        found = await self._get(f"{self._wallet}/v1/accounts/{psn_no}")
        return None if found is None else int(found["total"])

    async def personal_part_quote(self, psn_no: str, psn_part_amt: int, acct_used_flag: bool) -> dict[str, Any]:
        """How the wallet would pay this personal part now (acct_pay, acct_mulaid_pay, psn_cash_pay, balc)."""
        found = await self._get(f"{self._wallet}/v1/accounts/{psn_no}/personal-part-quote", psn_part_amt=psn_part_amt,
                                acct_used_flag=str(acct_used_flag).lower())
        if found is None:
            raise PlatformUnavailable("no quote")
        return found

    async def accumulators(self, psn_no: str, year: int) -> dict[str, Any] | None:
        return await self._get(f"{self._settlement}/v1/accumulators/{psn_no}", year=year)
