"""What the Pipeline page says of each service's outbox relay, from its figures.

The relay publishes the outbox's rows to Kafka and retries a failed round every second; a row it can
never publish is parked for an operator (libs/messaging/relay.py). Its state reads:

- `publishing`: the oldest unpublished row is young (the OutboxRowsOld alert's 5 s) and no round failed lately;
- `retrying`: rounds failed lately, but the rows still leave in time;
- `failing`: rounds fail and rows wait longer than the alert's threshold (Kafka or Postgres away);
- `behind`: rows wait longer than the threshold with no failure seen (the relay cannot keep up, or no
  process of the service runs one);
- `unknown`: neither the outbox's age nor the relay's rounds could be read.
"""

from __future__ import annotations

from dataclasses import dataclass

OUTBOX_AGE_LIMIT_S = 5.0  # deploy/prometheus/rules/alerts.yml, OutboxRowsOld


@dataclass(frozen=True)
class RelayFigures:
    oldest_age_s: float | None  # the oldest unpublished row's age; None when not measured
    recent_failures: float | None  # failed rounds lately (Prometheus: 10 minutes); None when unknown
    published: float | None  # rows a second (Prometheus) or since the process started (its /metrics)
    parked: float | None  # rows parked lately (Prometheus: the last hour) or since the process started


def relay_state(figures: RelayFigures) -> str:
    if figures.oldest_age_s is None and figures.recent_failures is None:
        return "unknown"
    late = figures.oldest_age_s is not None and figures.oldest_age_s > OUTBOX_AGE_LIMIT_S
    failed = bool(figures.recent_failures)
    if late:
        return "failing" if failed else "behind"
    return "retrying" if failed else "publishing"
