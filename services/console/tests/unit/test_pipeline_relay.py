"""The Pipeline page's relay state and where its figures come from: Prometheus' recording rules, or each
service's own /metrics when no Prometheus answers."""

from __future__ import annotations

from typing import Any

import httpx
import yaml

from services.console.adapters import metrics
from services.console.adapters.services import ServicesClient
from services.console.domain.pipeline import RelayFigures, relay_state
from services.console.service_layer.pages import Pages, relay_by_service
from tests.support.stack import ROOT

RULES = ROOT / "deploy" / "prometheus" / "rules" / "figures.yml"


def test_a_relay_with_young_rows_and_no_failed_round_is_publishing() -> None:
    assert relay_state(RelayFigures(oldest_age_s=0.4, recent_failures=0, published=12.0, parked=0)) == "publishing"


def test_failed_rounds_are_retrying_while_rows_leave_in_time_and_failing_once_they_wait() -> None:
    assert relay_state(RelayFigures(oldest_age_s=1.0, recent_failures=2, published=3.0, parked=0)) == "retrying"
    assert relay_state(RelayFigures(oldest_age_s=40.0, recent_failures=30, published=0.0, parked=0)) == "failing"


def test_rows_older_than_the_alerts_five_seconds_without_failures_are_behind() -> None:
    assert relay_state(RelayFigures(oldest_age_s=5.1, recent_failures=0, published=0.0, parked=0)) == "behind"
    assert relay_state(RelayFigures(oldest_age_s=5.0, recent_failures=None, published=None, parked=None)) == "publishing"


def test_nothing_measured_is_unknown_not_publishing() -> None:
    assert relay_state(RelayFigures(None, None, None, None)) == "unknown"


def test_from_prometheus_the_relay_of_each_service_is_read_from_the_series_service_label() -> None:
    figures = {"outbox_oldest_age_seconds": [{"labels": {"service": "settlement"}, "value": 9.0},
                                             {"labels": {"service": "wallet"}, "value": 0.2}],
               "relay_failures": [{"labels": {"service": "settlement"}, "value": 4.0}],
               "relay_published": [{"labels": {"service": "wallet"}, "value": 30.5}],
               "relay_parked": []}
    relay = relay_by_service("prometheus", figures, ["settlement", "wallet", "clearing"])
    assert relay["settlement"]["state"] == "failing" and relay["settlement"]["failures"] == 4.0
    assert (relay["wallet"]["state"], relay["wallet"]["published"]) == ("publishing", 30.5)
    assert relay["clearing"]["state"] == "unknown"


def test_from_the_services_the_processes_are_combined_and_old_failures_do_not_make_it_retrying() -> None:
    figures = {"settlement": {"outbox_oldest_age_seconds": [{"labels": {}, "value": 0.5}, {"labels": {}, "value": 2.0}],
                              "relay_failures": [{"labels": {}, "value": 3.0}],
                              "relay_published": [{"labels": {}, "value": 100.0}, {"labels": {}, "value": 20.0}],
                              "relay_parked": [{"labels": {}, "value": 0.0}]},
               "wallet": None}
    relay = relay_by_service("services", figures, ["settlement", "wallet"])
    assert relay["settlement"] == {"state": "publishing", "oldest_age_s": 2.0, "failures": 3.0, "published": 120.0,
                                   "parked": 0.0}
    assert relay["wallet"]["state"] == "unknown"


def recording_rules() -> set[str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return {rule["record"] for group in groups for rule in group["rules"] if "record" in rule}


def test_every_figure_the_console_asks_prometheus_for_is_one_of_its_recording_rules() -> None:
    asked = (set(metrics.QUERIES.values()) | {figure.recorded for figure in metrics.GATEWAY.values()}
             | set(metrics.ERRORS.values()))
    assert asked <= recording_rules(), asked - recording_rules()


async def test_the_pipeline_asks_prometheus_for_the_recording_rules_and_shows_each_relay(monkeypatch) -> None:
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/query":  # Prometheus
            query = request.url.params["query"]
            asked.append(query)
            old = [{"metric": {"service": "gateway"}, "value": [0, "7"]}]
            return httpx.Response(200, json={"data": {"result": old if query == "medins:outbox_oldest_age_seconds:max" else []}})
        return httpx.Response(200, json={"open": 0, "replayed": 0, "discarded": 0})  # a dead-letter summary

    transport, client_class = httpx.MockTransport(answer), httpx.AsyncClient
    monkeypatch.setattr(metrics.httpx, "AsyncClient", lambda **options: client_class(transport=transport, **options))
    services = ServicesClient({"gateway": "http://gateway:8105"}, lambda: None)
    services._http = client_class(transport=transport)
    shown: dict[str, Any] = await Pages(lambda: None, services, "http://prometheus:9090", frozenset()).pipeline("token")
    assert shown["source"] == "prometheus"
    assert set(asked) == set(metrics.QUERIES.values())
    assert shown["relay"]["gateway"]["state"] == "behind"
