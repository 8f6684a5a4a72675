"""Metrics, health and readiness, consumer lag and trace context for every service process.

See docs/operations.md for the metrics, the alerts and their runbook. The pieces:
- `metrics`: every metric of the platform (prometheus_client), defined once;
- `hooks`: the few calls the messaging runtime makes (consumer batches, relay rounds, commits);
- `business`: claims, fund payouts and wallet facts counted from committed outbox rows;
- `endpoints`, `readiness`: `/health`, `/ready`, `/metrics` and HTTP request metrics;
- `lag`: consumer lag per group against Kafka; `targets`: Prometheus file-based discovery;
- `tracing`: W3C trace context carried through Kafka headers (OpenTelemetry export off by default);
- `service`: `Observability`, which wires all of it into a `ServiceRuntime`.
"""
