"""Hostile values thrown at every contract: validation refuses them with a validation error (never
another exception) within milliseconds, and whatever it accepts is bounded before any arithmetic."""

from __future__ import annotations

import time
from decimal import Decimal

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter, ValidationError

from libs.contracts import claims, clearing, enrollment, wallet
from libs.contracts.bounds import MAX_FEN, Id, Region
from libs.contracts.registry import PAYLOAD_TYPES, UndecodableMessage, decode
from libs.money import line_amount

MODELS: list[type[BaseModel]] = sorted(
    {m for module in (claims, clearing, enrollment, wallet) for m in vars(module).values()
     if isinstance(m, type) and issubclass(m, BaseModel) and m.__module__ == module.__name__},
    key=lambda m: f"{m.__module__}.{m.__name__}")

BOMBS = ["1E+999997", "-1E+999997", "1E-999997", "NaN", "Infinity", "-Infinity", "sNaN", "1" * 5000, "0x10", "1_000"]

hostile_scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(2**200), max_value=2**200), st.sampled_from([2**63, -(2**63) - 1, 2147483647, MAX_FEN + 1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(BOMBS), st.sampled_from([b.lower() for b in BOMBS]),
    st.text(max_size=50), st.text(alphabet=st.characters(codec="utf-8"), max_size=20),
    st.sampled_from(["\x00", "P1\x00", "１２３４５６", "²", "H430\u200b100", "\ud800", "x" * 100_000, " ", ""]),
    st.sampled_from(["2026-02-30", "9999-12-31T23:59:59Z", "0000-01-01", "2026-01-01T25:00:00"]),
)
hostile_values = st.recursive(hostile_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=10), inner, max_size=5)), max_leaves=20)


def hostile_body(model: type[BaseModel]) -> st.SearchStrategy[dict[str, object]]:
    """The model's own field names (most of them), each with a hostile value, and sometimes one more field."""
    names = list(model.model_fields)
    return st.fixed_dictionaries({}, optional={n: hostile_values for n in names}).flatmap(
        lambda body: st.one_of(st.just(body), st.dictionaries(st.text(max_size=8), hostile_values, max_size=2).map(
            lambda extra: {**extra, **body})))


def refused_or_accepted_quickly(validate, data) -> None:
    """Refused with a validation error, or accepted; either way in far less than a batch's time (CPU
    time, with a generous bound for a shared machine: the pathology it guards against took 25 s)."""
    start = time.process_time()
    try:
        validate(data)
    except (ValidationError, UndecodableMessage):
        pass
    assert time.process_time() - start < 0.5


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_every_contract_refuses_hostile_values_with_a_validation_error_in_milliseconds(model, data) -> None:
    body = data.draw(hostile_body(model))
    refused_or_accepted_quickly(model.model_validate, body)
    try:
        raw = orjson.dumps(body)
    except (TypeError, orjson.JSONEncodeError):  # a lone surrogate or an int beyond 64 bits: not JSON orjson writes
        return
    refused_or_accepted_quickly(model.model_validate_json, raw)


@pytest.mark.parametrize("event_type", sorted(PAYLOAD_TYPES))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_decoding_a_hostile_envelope_is_an_undecodable_message_or_a_bounded_envelope(event_type, data) -> None:
    model = PAYLOAD_TYPES[event_type]
    envelope = {"event_id": data.draw(st.one_of(st.uuids().map(str), hostile_values)), "event_type": event_type,
                "schema_version": data.draw(st.one_of(st.just(model.schema_version), hostile_values)),
                "occurred_at": "2026-06-01T10:00:00Z", "producer": data.draw(st.one_of(st.just("H1"), hostile_values)),
                "correlation_id": "C1", "payload": data.draw(hostile_body(model))}
    try:
        raw = orjson.dumps(envelope)
    except (TypeError, orjson.JSONEncodeError):
        return
    refused_or_accepted_quickly(decode, raw)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000) | st.text(max_size=500).map(str.encode))
def test_any_bytes_decode_to_an_envelope_or_an_undecodable_message(raw) -> None:
    refused_or_accepted_quickly(decode, raw)


@pytest.mark.parametrize("number", ["1E+999997", "1e400", "123456789012345678901234567890", "-0.0000001"])
def test_an_exponent_bomb_in_a_fee_line_is_refused_in_microseconds_not_seconds(number) -> None:
    line = {"feedetl_sn": "1", "med_list_codg": "X", "cnt": "1", "pric": number, "det_item_fee_sumamt": 1}
    for raw in (orjson.dumps(line), orjson.dumps(line).replace(f'"{number}"'.encode(), number.encode())):
        start = time.process_time()
        with pytest.raises(ValidationError):
            claims.FeeLine.model_validate_json(raw)
        assert time.process_time() - start < 0.005


@settings(max_examples=300, deadline=None)
@given(cnt=st.decimals(allow_nan=False, allow_infinity=False), pric=st.decimals(allow_nan=False, allow_infinity=False))
def test_whatever_fee_line_is_accepted_its_amount_is_computed_at_once(cnt: Decimal, pric: Decimal) -> None:
    try:
        line = claims.FeeLine(feedetl_sn="1", med_list_codg="X", cnt=cnt, pric=pric, det_item_fee_sumamt=0)
    except ValidationError:
        return
    start = time.process_time()
    amount = line_amount(line.cnt, line.pric)
    assert time.process_time() - start < 0.001 and abs(amount) <= MAX_FEN


def test_coverage_changed_refuses_a_version_meant_to_pin_a_persons_coverage_for_good() -> None:
    with pytest.raises(ValidationError, match="version"):
        enrollment.CoverageChanged(psn_no="P1", version=2147483647, insutype="390", insuplc_admdvs="430100",
                                   gend="1", age=30, active=True)


@pytest.mark.parametrize("code", ["４３０１００", "43010０", "430100\x00", "²30100", "٤٣٠١٠٠"])
def test_region_codes_and_ids_are_ascii_only_so_a_look_alike_cannot_pose_as_another(code) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(Region).validate_python(code)
    with pytest.raises(ValidationError):
        TypeAdapter(Id).validate_python(code)
