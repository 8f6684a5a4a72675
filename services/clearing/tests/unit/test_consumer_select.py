"""Clearing passes over the outcomes of local claims by their routing headers, undecoded."""

from __future__ import annotations

from services.clearing.entrypoints.consumers import maybe_cross_region


def test_only_outcomes_whose_headers_show_a_local_claim_are_passed_over() -> None:
    assert not maybe_cross_region({"event_type": b"ClaimSettled", "insuplc_admdvs": b"430100", "mdtrtarea_admvs": b"430100"})
    assert maybe_cross_region({"event_type": b"ClaimSettled", "insuplc_admdvs": b"430100", "mdtrtarea_admvs": b"440100"})
    assert maybe_cross_region({"event_type": b"ClaimSettled"})  # an older producer: decode and let the domain decide
