"""Pipeline figures: Prometheus' HTTP API when observability's server runs, else each service's /metrics.

Metric names are taken from observability's declarations (libs/observability), never written again
here; each figure is declared once (`Figure`: the series, and what Prometheus is asked for it), and the
console shows what it finds, saying where each figure came from, or that it is absent.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx
from prometheus_client import REGISTRY, generate_latest

from libs.observability import metrics as m
from libs.observability.lag import LAG_METRIC
from services.console.adapters.services import ServicesClient


def exported(metric: Any) -> str:
    """The name a metric of libs/observability has in the text format (a counter's with `_total`)."""
    family = metric.describe()[0]
    return f"{family.name}_total" if family.type == "counter" else str(family.name)


@dataclass(frozen=True)
class Figure:
    """One figure a page shows: the series of `metric` with `labels` as a service exports them (read
    from its /metrics when no Prometheus answers), and `recorded`, the recording rule of
    deploy/prometheus/rules/figures.yml Prometheus is asked for (the figure, computed by Prometheus)."""

    metric: str
    recorded: str
    labels: dict[str, str] = field(default_factory=dict)

    def series(self, parsed: dict[str, list[tuple[dict[str, str], float]]]) -> list[dict[str, Any]]:
        return [{"labels": labels, "value": value} for labels, value in parsed.get(self.metric, [])
                if self.labels.items() <= labels.items()]


# The Pipeline page: lag per group (a partition counted once even when several processes export it),
# the outbox per service, new dead letters per consumer, and the relay's state per service.
LAG = Figure(LAG_METRIC, "medins:consumer_group_lag:sum")
PIPELINE = {
    "outbox_oldest_age_seconds": Figure(exported(m.OUTBOX_OLDEST), "medins:outbox_oldest_age_seconds:max"),
    "outbox_depth": Figure(exported(m.OUTBOX_DEPTH), "medins:outbox_depth:max"),
    "dead_lettered": Figure(exported(m.MESSAGES), "medins:dead_letters:increase10m", {"result": "dead_lettered"}),
    "relay_published": Figure(exported(m.RELAY_PUBLISHED), "medins:relay_published:rate1m"),
    "relay_failures": Figure(exported(m.RELAY_FAILURES), "medins:relay_failures:increase10m"),
    "relay_parked": Figure(exported(m.RELAY_PARKED), "medins:relay_parked:increase1h"),
}
QUERIES = {"consumer_lag": LAG.recorded, **{name: f.recorded for name, f in PIPELINE.items()}}
# The overview's hospital gateway: calls a second over a minute, timeouts and refusals over 10 minutes.
GATEWAY = {
    "requests": Figure(exported(m.HIS_REQUESTS), "medins:gateway_requests:rate1m"),
    "timeouts": Figure(exported(m.HIS_REPLY_TIMEOUTS), "medins:gateway_reply_timeouts:increase10m"),
    "refusals": Figure(exported(m.HIS_REFUSALS), "medins:gateway_refusals:increase10m"),
}


# The overview's error rates: records dead-lettered or in a batch given up per record the consumers
# took, and HTTP answers 5xx per request, over the last minute (Prometheus) or since the processes started.
ERRORS = {"consumer_errors": "medins:consumer_errors:ratio_rate1m", "http_5xx": "medins:http_5xx:ratio_rate1m"}
FAILED_RESULTS = frozenset({"dead_lettered", "failed"})


async def error_rates(url: str, client: ServicesClient) -> dict[str, Any]:
    found = await from_prometheus(url, queries=ERRORS)
    if found is not None:
        return {"source": "prometheus", **{name: (series[0]["value"] if series else None) for name, series in found.items()}}
    taken = failed = requests = errors = 0.0
    answered = False
    for service in client.urls:
        status, text = await client.text(service, "/metrics")
        if status != 200:
            continue
        answered = True
        parsed = parse_metrics(text)
        for labels, value in parsed.get(exported(m.MESSAGES), []):
            taken += value
            failed += value if labels.get("result") in FAILED_RESULTS else 0.0
        for labels, value in parsed.get(exported(m.HTTP_REQUESTS), []):
            requests += value
            errors += value if labels.get("status", "").startswith("5") else 0.0
    if not answered:
        return {"source": None, "consumer_errors": None, "http_5xx": None}
    return {"source": "services", "consumer_errors": round(failed / taken, 4) if taken else None,
            "http_5xx": round(errors / requests, 4) if requests else None}


def own_exposition() -> str:
    """This process's metrics (the console's registry), as Prometheus would scrape them."""
    return generate_latest(REGISTRY).decode()


def parse_metrics(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Prometheus' text format, read just enough: name -> [(labels, value)]."""
    found: dict[str, list[tuple[dict[str, str], float]]] = defaultdict(list)
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        head, _, value = line.rpartition(" ")
        name, _, labels = head.partition("{")
        pairs = {}
        for part in filter(None, labels.rstrip("}").split(",")):
            key, _, raw = part.partition("=")
            pairs[key.strip()] = raw.strip().strip('"')
        try:
            number = float(value)
        except ValueError:
            continue
        found[name.strip()].append((pairs, number))
    return found


async def from_prometheus(url: str, timeout: float = 3.0, queries: dict[str, str] = QUERIES) -> dict[str, Any] | None:
    """Each query's series, or None when no Prometheus answers at `url`."""
    results: dict[str, Any] = {}
    try:
        async with httpx.AsyncClient(timeout=timeout) as http:
            for name, query in queries.items():
                reply = await http.get(f"{url}/api/v1/query", params={"query": query})
                data = reply.json().get("data", {}).get("result", [])
                results[name] = [{"labels": r["metric"], "value": float(r["value"][1])} for r in data]
    except (httpx.HTTPError, ValueError, KeyError):
        return None
    return results


def lag_by_group(series: list[tuple[dict[str, str], float]], seen: dict[tuple[str, str, str], float]) -> None:
    """Each (group, topic, partition) once, whichever process exported it."""
    for labels, value in series:
        seen.setdefault((labels.get("group", ""), labels.get("topic", ""), labels.get("partition", "")), value)


def summed_lag(seen: dict[tuple[str, str, str], float]) -> list[dict[str, Any]]:
    groups: dict[str, float] = defaultdict(float)
    for (group, _, _), value in seen.items():
        groups[group] += value
    return [{"labels": {"group": g}, "value": v} for g, v in sorted(groups.items())]


async def from_services(client: ServicesClient, own: str = "") -> dict[str, Any]:
    """Each service's own /metrics, when it has one; consumer lag summed per group across them and the
    console's own (`own`: this process's exposition; its lag collector measures every group)."""
    out: dict[str, Any] = {}
    lag: dict[tuple[str, str, str], float] = {}
    lag_by_group(parse_metrics(own).get(LAG.metric, []), lag)
    for service in client.urls:
        status, text = await client.text(service, "/metrics")
        if status != 200:
            out[service] = None
            continue
        parsed = parse_metrics(text)
        lag_by_group(parsed.get(LAG.metric, []), lag)
        out[service] = {name: figure.series(parsed) for name, figure in PIPELINE.items()}
    if lag:
        out["kafka"] = {"consumer_lag": summed_lag(lag)}
    return out


async def gateway_figures(url: str, client: ServicesClient) -> dict[str, Any]:
    """The hospitals' calls by transaction and infcode, refusals by reason and timeouts waiting for an
    outcome: rates and 10-minute counts from Prometheus, else the gateway's counters since it started."""
    found = await from_prometheus(url, queries={name: f.recorded for name, f in GATEWAY.items()})
    if found is not None:
        return {"source": "prometheus", **found}
    status, text = await client.text("gateway", "/metrics") if "gateway" in client.urls else (0, "")
    if status != 200:
        return {"source": None, **dict.fromkeys(GATEWAY)}
    parsed = parse_metrics(text)
    return {"source": "gateway", **{name: figure.series(parsed) for name, figure in GATEWAY.items()}}
