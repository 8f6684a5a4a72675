"""Trace context carried from message to message, so one claim can be followed across the services.

W3C Trace Context (`traceparent`) and W3C Baggage (`baggage`) travel as Kafka record headers beside
the envelope. A consumer reads them from each record of its batch (`begin_batch`); whatever a handler
emits because of that message (`emit(..., causation=envelope)`) carries them on (`headers_for`), through
the outbox and the relay, to the next service. A message that arrives without a `traceparent` (a
hospital's claim, an office's command) starts a trace there. The baggage entry `medins.origin` keeps
when the first message of the flow happened (its envelope's `occurred_at`), so the service that sends
the outcome measures the hospital's wait (`medins_claim_reply_seconds`).

Spans are exported only when `OTEL_TRACES_EXPORTER` names an exporter (`console`, or `otlp` with
`opentelemetry-exporter-otlp` installed; the standard OTEL_* variables configure it). Off by default:
then no span object is made at all and the context is passed on as it came, the trace id unchanged.
With an exporter, each message handled gets a CONSUMER span `<consumer> process`, child of the
incoming context, ended when its batch is committed; the outgoing messages are its children.
FastStream's own OpenTelemetry middleware was not used: it makes one span per Kafka batch and
publishes through the broker, while here messages leave through the outbox (docs/operations.md).
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from typing import Any

import structlog

log = structlog.get_logger("tracing")

TRACEPARENT, BAGGAGE, ORIGIN = "traceparent", "baggage", "medins.origin"

_carried: ContextVar[dict[int, dict[str, str]]] = ContextVar("medins_trace_carried", default={})  # noqa: B039
_open_spans: ContextVar[list[Any]] = ContextVar("medins_trace_spans", default=[])  # noqa: B039
_tracer: Any = None  # an OpenTelemetry tracer when an exporter is configured


def new_traceparent() -> str:
    trace_id, span_id = random.getrandbits(128) or 1, random.getrandbits(64) or 1
    return f"00-{trace_id:032x}-{span_id:016x}-00"


def trace_id(traceparent: str) -> str:
    return traceparent[3:35]


def _origin_baggage(envelope: Any) -> str:
    return f"{ORIGIN}={envelope.occurred_at.timestamp():.3f}"


def origin_time(headers: Mapping[str, str]) -> float | None:
    """When the flow a message belongs to began (epoch seconds), from its `baggage` header."""
    baggage = headers.get(BAGGAGE)
    if not baggage:
        return None
    for entry in baggage.split(","):
        name, _, value = entry.strip().partition("=")
        if name == ORIGIN:
            try:
                return float(value.split(";", 1)[0])
            except ValueError:
                return None
    return None


def begin_batch(consumer: str, items: Iterable[Any]) -> None:
    """Read the trace context of each decoded message of a batch (items with `.record` and `.envelope`)."""
    carried: dict[int, dict[str, str]] = {}
    spans: list[Any] = []
    for item in items:
        envelope = item.envelope
        if envelope is None:
            continue
        parent = baggage = None
        for name, value in item.record.headers:
            if name == TRACEPARENT:
                parent = value.decode("ascii", "replace")
            elif name == BAGGAGE:
                baggage = value.decode("ascii", "replace")
        if not baggage or ORIGIN not in baggage:
            baggage = f"{baggage},{_origin_baggage(envelope)}" if baggage else _origin_baggage(envelope)
        if _tracer is not None:
            span, parent = _start_span(consumer, envelope, parent)
            spans.append(span)
        carried[id(envelope)] = {TRACEPARENT: parent or new_traceparent(), BAGGAGE: baggage}
    _carried.set(carried)
    if spans or _open_spans.get():
        _open_spans.set(spans)


def headers_for(causation: Any) -> dict[str, str]:
    """The trace headers a message emitted because of `causation` (an envelope being handled) carries."""
    if causation is None:
        return {}
    return _carried.get().get(id(causation), {})


def end_batch(failed: bool = False) -> None:
    """The batch was committed (or given up): end its spans."""
    spans = _open_spans.get()
    if not spans:
        return
    if failed:
        from opentelemetry.trace import Status, StatusCode

        for span in spans:
            span.set_status(Status(StatusCode.ERROR, "batch failed"))
    for span in spans:
        span.end()
    _open_spans.set([])


def _start_span(consumer: str, envelope: Any, parent: str | None) -> tuple[Any, str]:
    from opentelemetry import trace
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    propagator = TraceContextTextMapPropagator()
    context = propagator.extract({TRACEPARENT: parent}) if parent else None
    span = _tracer.start_span(f"{consumer} process", context=context, kind=trace.SpanKind.CONSUMER, attributes={
        "messaging.system": "kafka", "messaging.consumer.group.name": consumer,
        "messaging.message.id": str(envelope.event_id), "medins.event_type": envelope.event_type,
        "medins.correlation_id": envelope.correlation_id,
    })
    carrier: dict[str, str] = {}
    propagator.inject(carrier, context=trace.set_span_in_context(span))
    return span, carrier[TRACEPARENT]


def configure(service: str, environ: Mapping[str, str] = os.environ) -> bool:
    """Export spans if `OTEL_TRACES_EXPORTER` names an exporter; False (and nothing done) otherwise."""
    global _tracer
    exporter_name = environ.get("OTEL_TRACES_EXPORTER", "none").strip().lower()
    if exporter_name in ("", "none"):
        _tracer = None
        return False
    try:
        from opentelemetry import trace
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

        if exporter_name == "console":
            exporter: Any = ConsoleSpanExporter()
        elif exporter_name == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # type: ignore[import-not-found]

            exporter = OTLPSpanExporter()
        else:
            raise ValueError(f"OTEL_TRACES_EXPORTER={exporter_name!r}: use none, console or otlp")
    except ImportError as exc:
        log.warning("tracing_not_exported", reason=f"{exc}: pip install opentelemetry-sdk (and the exporter)")
        _tracer = None
        return False
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    _tracer = trace.get_tracer("medins")
    log.info("tracing_exported", exporter=exporter_name)
    return True
