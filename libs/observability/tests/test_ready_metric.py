"""The readiness checks are also a metric: `medins_ready{check}` is 0 while one fails, so an alert
(DependencyUnreachable) fires while the process itself still answers /metrics. The checks run in the
background every READY_POLL_S s (libs/observability/service.py); on the real stack with Postgres
stopped: tests/e2e/test_restarts.py."""

from __future__ import annotations

from prometheus_client import REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from libs.observability import readiness


def exported() -> dict[str, float]:
    text = generate_latest(REGISTRY).decode()
    return {sample.labels["check"]: sample.value for family in text_string_to_metric_families(text)
            if family.name == "medins_ready" for sample in family.samples}


def test_each_check_is_one_while_it_passes_and_zero_while_it_fails() -> None:
    readiness.record({"database": False, "kafka": True})
    assert exported().items() >= {"database": 0.0, "kafka": 1.0}.items()


def test_it_follows_the_checks_from_one_round_to_the_next() -> None:
    readiness.record({"database": False})
    assert exported()["database"] == 0.0
    readiness.record({"database": True})
    assert exported()["database"] == 1.0
