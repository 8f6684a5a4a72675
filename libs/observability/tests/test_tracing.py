"""Trace context carried from the message a handler took to the messages it emits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from libs.contracts.claims import ClaimRejected
from libs.contracts.envelope import new_envelope
from libs.messaging.records import Record
from libs.observability import tracing

PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@dataclass
class Item:
    record: Record
    envelope: Any


def message(headers: tuple[tuple[str, bytes], ...] = ()) -> Item:
    envelope = new_envelope(ClaimRejected(claim_id="C1", fixmedins_code="H1", psn_no="P1", reason_code="X", reason="x"),
                            producer="test", correlation_id="C1", occurred_at=datetime(2026, 6, 1, 1, 30, tzinfo=UTC))
    return Item(Record("claims.submitted", 0, 1, b"P1", b"{}", (("event_type", b"ClaimSubmitted"), *headers)), envelope)


def test_what_a_handler_emits_carries_the_trace_of_the_message_it_handled() -> None:
    item = message((("traceparent", PARENT.encode()), ("baggage", b"medins.origin=1780277400.000")))
    tracing.begin_batch("settlement-claims.submitted", [item])
    assert tracing.headers_for(item.envelope) == {"traceparent": PARENT, "baggage": "medins.origin=1780277400.000"}


def test_a_message_without_trace_context_starts_a_trace_that_remembers_when_the_flow_began() -> None:
    item = message()
    tracing.begin_batch("settlement-claims.submitted", [item])
    carried = tracing.headers_for(item.envelope)
    assert len(tracing.trace_id(carried["traceparent"])) == 32
    assert tracing.origin_time(carried) == item.envelope.occurred_at.timestamp()


def test_a_message_emitted_for_no_message_carries_nothing() -> None:
    handled = message()  # kept alive: the batch's envelopes are known by identity while it is handled
    tracing.begin_batch("c", [handled])
    assert tracing.headers_for(None) == {}
    assert tracing.headers_for(message().envelope) == {}  # not one of the batch's


def test_an_unreadable_origin_is_no_origin() -> None:
    assert tracing.origin_time({"baggage": "medins.origin=soon"}) is None
    assert tracing.origin_time({"baggage": "other=1, medins.origin=12.5;p=1"}) == 12.5
    assert tracing.origin_time({}) is None


@pytest.fixture
def exported(monkeypatch) -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(tracing, "_tracer", provider.get_tracer("test"))
    return exporter


def test_with_an_exporter_each_message_is_a_span_in_the_incoming_trace_and_emits_its_children(exported) -> None:
    item = message((("traceparent", PARENT.encode()),))
    tracing.begin_batch("settlement-claims.submitted", [item])
    outgoing = tracing.headers_for(item.envelope)["traceparent"]
    tracing.end_batch()
    [span] = exported.get_finished_spans()
    assert span.name == "settlement-claims.submitted process"
    assert f"{span.context.trace_id:032x}" == tracing.trace_id(PARENT) == tracing.trace_id(outgoing)
    assert f"{span.parent.span_id:016x}" == PARENT[36:52]
    assert outgoing[36:52] == f"{span.context.span_id:016x}"
    assert span.attributes["medins.correlation_id"] == "C1"


def test_the_exporter_is_off_unless_named() -> None:
    assert tracing.configure("settlement", {}) is False
    assert tracing.configure("settlement", {"OTEL_TRACES_EXPORTER": "none"}) is False
