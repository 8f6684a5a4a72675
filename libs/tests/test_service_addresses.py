"""A stack moved to other ports (a second clone, a second user: `CONSOLE_HTTP_PORT`… `PROMETHEUS_PORT`) calls
its own services and its own Prometheus, never those of a stack left on the default ports (issue #18)."""

from __future__ import annotations

import os

import pytest

from libs.settings import HTTP_PORTS, prometheus_url, service_url
from services.clearing.bootstrap import ClearingSettings
from services.console.bootstrap import ConsoleSettings, service_urls
from services.gateway.bootstrap import GatewaySettings

MOVED = {"ENROLLMENT_HTTP_PORT": "8301", "SETTLEMENT_HTTP_PORT": "8302", "WALLET_HTTP_PORT": "8303",
         "CLEARING_HTTP_PORT": "8304", "GATEWAY_HTTP_PORT": "8305", "PROMETHEUS_PORT": "9092"}


@pytest.fixture
def moved(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ENROLLMENT_URL", "SETTLEMENT_URL", "WALLET_URL", "CLEARING_URL", "GATEWAY_URL", "PROMETHEUS_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in MOVED.items():
        monkeypatch.setenv(name, value)


def test_a_service_is_found_at_its_default_port_at_its_moved_port_or_at_its_named_url() -> None:
    assert service_url("settlement", {}) == "http://127.0.0.1:8102"
    assert service_url("settlement", {"SETTLEMENT_HTTP_PORT": "8302"}) == "http://127.0.0.1:8302"
    assert service_url("settlement", {"SETTLEMENT_HTTP_PORT": "8302", "SETTLEMENT_URL": "http://settlement:8102"}) \
        == "http://settlement:8102"
    assert set(HTTP_PORTS) == {"console", "enrollment", "settlement", "wallet", "clearing", "gateway"}


def test_a_service_without_a_known_port_is_refused_with_the_settings_that_would_name_it() -> None:
    with pytest.raises(KeyError, match="AUDITOR_URL or AUDITOR_HTTP_PORT"):
        service_url("auditor", {})


def test_prometheus_is_the_one_of_this_stacks_port() -> None:
    assert prometheus_url({}) == "http://127.0.0.1:9090"
    assert prometheus_url({"PROMETHEUS_PORT": "9092"}) == "http://127.0.0.1:9092"
    assert prometheus_url({"PROMETHEUS_PORT": "9092", "PROMETHEUS_URL": "http://prometheus:9090"}) == "http://prometheus:9090"


@pytest.mark.usefixtures("moved")
def test_the_gateway_calls_the_services_of_its_own_stack() -> None:
    settings = GatewaySettings()
    assert (settings.enrollment_url, settings.wallet_url, settings.settlement_url) == \
        ("http://127.0.0.1:8301", "http://127.0.0.1:8303", "http://127.0.0.1:8302")


@pytest.mark.usefixtures("moved")
def test_clearing_reads_the_settlements_of_its_own_stack() -> None:
    assert ClearingSettings().settlement_url == "http://127.0.0.1:8302"


@pytest.mark.usefixtures("moved")
def test_the_console_watches_its_own_stack_and_asks_its_own_prometheus() -> None:
    settings = ConsoleSettings()
    assert settings.prometheus_url == "http://127.0.0.1:9092"
    assert service_urls(settings, os.environ) == {
        "enrollment": "http://127.0.0.1:8301", "settlement": "http://127.0.0.1:8302", "wallet": "http://127.0.0.1:8303",
        "clearing": "http://127.0.0.1:8304", "gateway": "http://127.0.0.1:8305"}


def test_a_named_url_still_wins_over_the_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SETTLEMENT_HTTP_PORT", "8302")
    monkeypatch.setenv("SETTLEMENT_URL", "http://settlement:8102")
    assert ClearingSettings().settlement_url == "http://settlement:8102"
    assert GatewaySettings().settlement_url == "http://settlement:8102"
