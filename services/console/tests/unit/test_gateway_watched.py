"""The console watches the hospital gateway like the other services: its health, its dead letters, its
pipeline figures, and on the overview the hospitals' calls by transaction and the timeouts."""

from __future__ import annotations

from typing import Any

import httpx

from services.console.adapters import metrics
from services.console.adapters.services import ServicesClient
from services.console.bootstrap import ConsoleSettings, service_urls
from services.console.service_layer.pages import Pages

NO_PROMETHEUS = "http://127.0.0.1:9"  # nothing listens there: the pages fall back to each service's /metrics
GATEWAY_METRICS = """# TYPE medins_gateway_requests_total counter
medins_gateway_requests_total{infcode="0",infno="2207"} 41.0
medins_gateway_requests_total{infcode="-1",infno="2207"} 2.0
medins_gateway_reply_timeouts_total{infno="2207"} 1.0
medins_gateway_refusals_total{code="TIMEOUT"} 1.0
medins_outbox_depth 4.0
"""


def services_answering(seen: list[str]) -> ServicesClient:
    """Every service answers; the gateway's /metrics has its figures, every dead-letter summary is empty."""
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.url.port} {request.url.path}")
        if request.url.path == "/metrics":
            return httpx.Response(200, text=GATEWAY_METRICS if request.url.port == 8105 else "")
        return httpx.Response(200, json={"open": 0, "replayed": 0, "discarded": 0, "status": "ok"})

    client = ServicesClient(service_urls(ConsoleSettings(), {}), lambda: None)
    client._http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    return client


def test_the_console_watches_the_gateway_unless_told_otherwise() -> None:
    urls = service_urls(ConsoleSettings(), {})
    assert urls["gateway"] == "http://127.0.0.1:8105"
    assert list(urls) == ["enrollment", "settlement", "wallet", "clearing", "gateway"]
    assert service_urls(ConsoleSettings(), {"GATEWAY_HTTP_PORT": "18105"})["gateway"] == "http://127.0.0.1:18105"


async def test_the_pipeline_shows_the_gateways_outbox_and_dead_letters() -> None:
    seen: list[str] = []
    pages = Pages(lambda: None, services_answering(seen), NO_PROMETHEUS, frozenset())
    shown: dict[str, Any] = await pages.pipeline("token")
    assert shown["source"] == "services"
    assert shown["figures"]["gateway"]["outbox_depth"] == [{"labels": {}, "value": 4.0}]
    assert shown["dead_letters"]["gateway"] == {"open": 0, "replayed": 0, "discarded": 0, "status": "ok"}
    assert "8105 /v1/dead-letters/summary" in seen


async def test_the_overview_has_the_hospitals_calls_by_transaction_and_the_timeouts() -> None:
    figures = await metrics.gateway_figures(NO_PROMETHEUS, services_answering([]))
    assert figures["source"] == "gateway"
    assert {"labels": {"infcode": "-1", "infno": "2207"}, "value": 2.0} in figures["requests"]
    assert figures["timeouts"] == [{"labels": {"infno": "2207"}, "value": 1.0}]
    assert figures["refusals"] == [{"labels": {"code": "TIMEOUT"}, "value": 1.0}]


async def test_without_prometheus_or_a_gateway_the_overview_says_the_figures_are_absent() -> None:
    client = ServicesClient({"settlement": "http://127.0.0.1:9"}, lambda: None)
    figures = await metrics.gateway_figures(NO_PROMETHEUS, client)
    assert figures == {"source": None, "requests": None, "timeouts": None, "refusals": None}
    await client.close()
