"""The readiness checks are also a metric, measured at each scrape: `medins_ready{check}` is 0 while one
fails, so an alert (DependencyUnreachable) fires while the process itself still answers /metrics.
On the real stack with Postgres stopped: tests/e2e/test_restarts.py."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from libs.observability import endpoints


def scrape(checks: dict[str, bool]) -> dict[str, float]:
    async def ready() -> dict[str, bool]:
        return checks
    app = endpoints.install(FastAPI(), lambda: {}, ready)
    text = TestClient(app).get("/metrics").text
    return {sample.labels["check"]: sample.value for family in text_string_to_metric_families(text)
            if family.name == "medins_ready" for sample in family.samples}


def test_each_check_is_one_while_it_passes_and_zero_while_it_fails() -> None:
    assert scrape({"database": False, "kafka": True}).items() >= {"database": 0.0, "kafka": 1.0}.items()


def test_it_follows_the_checks_from_one_scrape_to_the_next() -> None:
    assert scrape({"database": False})["database"] == 0.0
    assert scrape({"database": True})["database"] == 1.0
