"""The settlement engine's records over HTTP: `GET {SETTLEMENT_URL}/v1/settlements?from=…&to=…`.

Each request carries clearing's service token (`Authorization: Bearer`, libs/auth) and the list is read
a page at a time (`after=` the previous page's `next_after`) until the last page; each page is handed
on before the next is asked for, so at most one page of records is held.
The answer is `{"items": [{"setl_id", "claim_id", "kind": "settled"|"cancelled", "fixmedins_code",
"insuplc_admdvs", "mdtrtarea_admvs", "occurred_at", "funds": {"<fund_pay_type>": <fen>},
"fund_pay_sumamt": <fen>}]}`. Each item becomes a `ClaimFact`, checked as a fact from Kafka is
checked (regions, whole fen, funds adding up to `fund_pay_sumamt`); an answer that fails those checks
is not reconciled against, it is reported as the engine's fault.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Literal

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from libs.money import Fen
from services.clearing.domain import ClaimFact, ClearingError, claim_fact
from services.clearing.service_layer.settlement_records import SettlementRecordsUnavailable


class _Item(BaseModel):
    model_config = ConfigDict(extra="ignore")

    setl_id: str
    claim_id: str
    kind: Literal["settled", "cancelled"]
    fixmedins_code: str
    insuplc_admdvs: str
    mdtrtarea_admvs: str
    occurred_at: datetime
    funds: dict[str, Fen]
    fund_pay_sumamt: Fen


class _Answer(BaseModel):
    items: list[_Item]
    next_after: str | None = None


PAGE = 1000


class HttpSettlementRecords:
    def __init__(
        self, base_url: str, timeout_seconds: float = 30.0, transport: httpx.AsyncBaseTransport | None = None,
        token: Callable[[], str] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout_seconds
        self._transport = transport  # tests answer in place of the engine
        self._token = token  # a fresh service token for each page (bootstrap.py)

    async def pages(self, start: datetime, end: datetime) -> AsyncIterator[list[ClaimFact]]:
        url = f"{self.base_url}/v1/settlements"
        params: dict[str, str | int] = {"from": start.isoformat(), "to": end.isoformat(), "limit": PAGE}
        async with httpx.AsyncClient(timeout=self.timeout, transport=self._transport) as client:
            after: str | None = None
            while True:
                answer = await self._page(client, url, {**params, **({"after": after} if after else {})})
                yield [_fact(item) for item in answer.items]
                if not answer.next_after:
                    return
                after = answer.next_after

    async def _page(self, client: httpx.AsyncClient, url: str, params: dict[str, str | int]) -> _Answer:
        try:
            headers = {"Authorization": f"Bearer {self._token()}"} if self._token else {}  # fresh for each page
            response = await client.get(url, params=params, headers=headers)
            response.raise_for_status()
            return _Answer.model_validate_json(response.content)
        except httpx.HTTPError as exc:
            raise SettlementRecordsUnavailable(
                f"The settlement engine at {self.base_url} did not give its records ({type(exc).__name__}: {exc})."
            ) from exc
        except ValidationError as exc:
            raise SettlementRecordsUnavailable(
                f"The settlement engine at {self.base_url} answered something that is not its records: {exc.errors()[:3]}"
            ) from exc


def _fact(item: _Item) -> ClaimFact:
    try:
        return claim_fact(
            item.kind, setl_id=item.setl_id, claim_id=item.claim_id, fixmedins_code=item.fixmedins_code,
            insuplc_admdvs=item.insuplc_admdvs, mdtrtarea_admvs=item.mdtrtarea_admvs,
            occurred_at=item.occurred_at, fund_rows=list(item.funds.items()), fund_pay_sumamt=item.fund_pay_sumamt,
        )
    except ClearingError as exc:
        raise SettlementRecordsUnavailable(f"The settlement engine's record {item.setl_id} is inconsistent: {exc}") from exc
