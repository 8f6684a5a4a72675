"""Pipeline figures: Prometheus' HTTP API when observability's server runs, else each service's /metrics.

Metric names are observability's (libs/observability); the console asks for a few by name and shows
what it finds, saying where each figure came from, or that it is absent.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import httpx

from services.console.adapters.services import ServicesClient

QUERIES = {  # observability's metric names (libs/observability/metrics.py); selectors, so every label shows
    # lag per group: a partition counted once even when several processes export it
    "consumer_lag": "sum by (group) (max by (group, topic, partition) (medins_consumer_group_lag))",
    "outbox_oldest_age_seconds": "medins_outbox_oldest_age_seconds",
    "outbox_depth": "medins_outbox_depth",
    "dead_lettered_total": 'medins_consumer_messages_total{result="dead_lettered"}',
    "relay_published_total": "medins_relay_published_messages_total",
}


# The hospital gateway's figures for the overview (libs/observability/metrics.py, medins_gateway_*).
GATEWAY_QUERIES = {
    "requests": "sum by (infno, infcode) (rate(medins_gateway_requests_total[1m]))",
    "timeouts": "sum by (infno) (increase(medins_gateway_reply_timeouts_total[10m]))",
    "refusals": "sum by (code) (increase(medins_gateway_refusals_total[10m]))",
}
GATEWAY_METRICS = {"requests": "medins_gateway_requests_total", "timeouts": "medins_gateway_reply_timeouts_total",
                   "refusals": "medins_gateway_refusals_total"}


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


async def from_services(client: ServicesClient) -> dict[str, Any]:
    """Each service's own /metrics, when it has one; consumer lag summed per group across them."""
    out: dict[str, Any] = {}
    lag: dict[tuple[str, str, str], float] = {}
    for service in client.urls:
        status, text = await client.text(service, "/metrics")
        if status != 200:
            out[service] = None
            continue
        parsed = parse_metrics(text)
        lag_by_group(parsed.get("medins_consumer_group_lag", []), lag)
        out[service] = {name: [{"labels": labels, "value": value} for labels, value in parsed.get(metric, [])
                               if name != "dead_lettered_total" or labels.get("result") == "dead_lettered"]
                        for name, metric in (("outbox_oldest_age_seconds", "medins_outbox_oldest_age_seconds"),
                                             ("outbox_depth", "medins_outbox_depth"),
                                             ("dead_lettered_total", "medins_consumer_messages_total"),
                                             ("relay_published_total", "medins_relay_published_messages_total"))}
    if lag:
        out["kafka"] = {"consumer_lag": summed_lag(lag)}
    return out


async def gateway_figures(url: str, client: ServicesClient) -> dict[str, Any]:
    """The hospitals' calls by transaction and infcode, refusals by reason and timeouts waiting for an
    outcome: rates and 10-minute counts from Prometheus, else the gateway's counters since it started."""
    found = await from_prometheus(url, queries=GATEWAY_QUERIES)
    if found is not None:
        return {"source": "prometheus", **found}
    status, text = await client.text("gateway", "/metrics") if "gateway" in client.urls else (0, "")
    if status != 200:
        return {"source": None, **dict.fromkeys(GATEWAY_QUERIES)}
    parsed = parse_metrics(text)
    return {"source": "gateway", **{name: [{"labels": labels, "value": value} for labels, value in parsed.get(metric, [])]
                                    for name, metric in GATEWAY_METRICS.items()}}
