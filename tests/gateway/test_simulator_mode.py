"""`make run`'s simulated hospitals speak the national interface unless told otherwise."""

from __future__ import annotations

from libs.hospital.simulator.__main__ import parse_args


def test_the_simulator_uses_the_national_interface_by_default(monkeypatch) -> None:
    monkeypatch.delenv("SIMULATOR_MODE", raising=False)
    assert parse_args([]).mode == "national"
    assert parse_args(["--mode", "kafka"]).mode == "kafka"
