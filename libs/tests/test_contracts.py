"""Contracts: the envelope round-trips, old versions are upcast, every payload documents its fields."""

from __future__ import annotations

import pytest

from libs.contracts import registry
from libs.contracts.envelope import new_envelope
from libs.contracts.topics import ALL_TOPICS
from libs.contracts.wallet import CreditPersonalAccount


def test_an_envelope_round_trips_through_bytes() -> None:
    env = new_envelope(CreditPersonalAccount(credit_id="c1", psn_no="P1", amount=100, kind="contribution", year=2026),
                       producer="test", correlation_id="c1")
    back = registry.decode(registry.encode(env))
    assert back == env and isinstance(back.payload, CreditPersonalAccount)


def test_an_old_version_is_brought_up_to_date_by_its_upcaster(monkeypatch: pytest.MonkeyPatch) -> None:
    # Pretend version 2 renamed `amount_fen` (v1) to `amount`.
    monkeypatch.setattr(CreditPersonalAccount, "schema_version", 2)
    monkeypatch.setitem(registry.UPCASTERS, ("CreditPersonalAccount", 1),
                        lambda p: {**{k: v for k, v in p.items() if k != "amount_fen"}, "amount": p["amount_fen"]})
    old = (b'{"event_id":"8b9f8c0e-1c1f-4c9e-9a8e-0c6f0c0b0b0b","event_type":"CreditPersonalAccount",'
           b'"schema_version":1,"occurred_at":"2026-01-01T00:00:00Z","producer":"x","correlation_id":"c1",'
           b'"payload":{"credit_id":"c1","psn_no":"P1","amount_fen":250,"kind":"contribution","year":2026}}')
    env = registry.decode(old)
    assert env.payload.amount == 250 and env.schema_version == 2


def test_a_version_newer_than_known_is_undecodable() -> None:
    with pytest.raises(registry.UndecodableMessage, match="newer"):
        registry.upcast("CreditPersonalAccount", 9, {})


@pytest.mark.parametrize("model", list(registry.PAYLOAD_TYPES.values()), ids=lambda m: m.__name__)
def test_every_payload_field_has_a_description(model) -> None:
    missing = [name for name, f in model.model_fields.items() if not f.description]
    assert not missing, f"{model.__name__} fields without description: {missing}"


def test_topic_names_are_unique() -> None:
    names = [t.name for t in ALL_TOPICS]
    assert len(names) == len(set(names))


def test_every_payload_type_travels_on_some_topic() -> None:
    carried = {m for models in registry.CARRIES.values() for m in models}
    assert carried == set(registry.PAYLOAD_TYPES.values())
    assert set(registry.CARRIES) == {t.name for t in ALL_TOPICS}


def test_the_committed_asyncapi_document_is_current() -> None:
    from pathlib import Path

    from libs.contracts.asyncapi import render

    committed = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.json"
    assert committed.read_text() == render(), "docs/asyncapi.json is stale: run `make asyncapi`"
