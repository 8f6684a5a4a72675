"""The settlement engine's records over HTTP become facts; an unusable answer is the engine's fault."""

from __future__ import annotations

import httpx
import pytest

from services.clearing.adapters.settlement_client import HttpSettlementRecords
from services.clearing.domain import ClaimFact
from services.clearing.service_layer.settlement_records import SettlementRecordsUnavailable
from services.clearing.tests.unit.builders import CHANGSHA, TAIYUAN, at

ITEM = {
    "setl_id": "S1", "claim_id": "C1", "kind": "cancelled", "fixmedins_code": "H1", "insuplc_admdvs": CHANGSHA,
    "mdtrtarea_admvs": TAIYUAN, "occurred_at": "2025-01-10T10:00:00+08:00", "funds": {"hifp": 600, "hifmi": 50},
    "fund_pay_sumamt": 650,
}


def engine(answer: httpx.Response, seen: list[httpx.Request] | None = None) -> HttpSettlementRecords:
    def handle(request: httpx.Request) -> httpx.Response:
        (seen if seen is not None else []).append(request)
        return answer

    return HttpSettlementRecords("http://settlement:8102/", transport=httpx.MockTransport(handle))


async def every_record(client: HttpSettlementRecords) -> list[ClaimFact]:
    return [fact async for page in client.pages(at(1, 1, 0), at(2, 1, 0)) for fact in page]


async def test_the_engine_is_asked_for_a_window_and_each_item_becomes_a_fact() -> None:
    seen: list[httpx.Request] = []
    [fact] = await every_record(engine(httpx.Response(200, json={"items": [ITEM]}), seen))
    assert (fact.kind, fact.setl_id, fact.occurred_at) == ("cancelled", "S1", at(1, 10))
    assert fact.funds == (("hifmi", 50), ("hifp", 600))
    [request] = seen
    assert request.url.path == "/v1/settlements"
    assert dict(request.url.params) == {"from": "2025-01-01T00:00:00+08:00", "to": "2025-02-01T00:00:00+08:00",
                                        "limit": "1000"}


async def test_the_engine_is_asked_with_clearings_service_token_a_page_at_a_time_as_they_are_used() -> None:
    seen: list[httpx.Request] = []
    pages = {None: {"items": [ITEM], "next_after": "k1"}, "k1": {"items": [{**ITEM, "setl_id": "S2"}]}}

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=pages[request.url.params.get("after")])

    client = HttpSettlementRecords("http://settlement:8102", transport=httpx.MockTransport(handle), token=lambda: "T")
    read = client.pages(at(1, 1, 0), at(2, 1, 0))
    assert [f.setl_id for f in await anext(read)] == ["S1"]
    assert len(seen) == 1  # the next page is asked for only once this one is handed on
    assert [f.setl_id for f in await anext(read)] == ["S2"]
    assert [page async for page in read] == []
    assert [r.headers["Authorization"] for r in seen] == ["Bearer T", "Bearer T"]


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(503, text="down"),
        httpx.Response(200, text="not json"),
        httpx.Response(200, json={"rows": []}),
        httpx.Response(200, json={"items": [{**ITEM, "fund_pay_sumamt": 651}]}),
        httpx.Response(200, json={"items": [{**ITEM, "insuplc_admdvs": "43"}]}),
    ],
    ids=["error status", "not json", "no items", "funds do not add up", "bad region"],
)
async def test_an_unusable_answer_is_reported_as_the_engine_being_unavailable(answer: httpx.Response) -> None:
    with pytest.raises(SettlementRecordsUnavailable):
        await every_record(engine(answer))


async def test_an_engine_that_does_not_answer_is_unavailable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = HttpSettlementRecords("http://settlement:8102", transport=httpx.MockTransport(refuse))
    with pytest.raises(SettlementRecordsUnavailable, match="ConnectError"):
        await every_record(client)
