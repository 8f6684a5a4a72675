"""Stored events come back from their JSON text exactly as they were recorded."""

from __future__ import annotations

from datetime import date

import orjson

from services.enrollment.adapters.event_codec import decode_event, encode_event
from services.enrollment.domain import (
    ApplyForTransfer,
    DesignateSpecialDrug,
    EnrollResident,
    FileCrossRegionTreatment,
    FilingKind,
    LinkRelative,
    RecordFundPaymentYear,
    Relation,
)
from services.enrollment.tests.unit.builders import VAULT, PREMIUM, next_id, person, policy


def test_every_recorded_event_round_trips_through_its_stored_json() -> None:
    someone = person()
    psn_no, book = someone.state.psn_no, policy()
    for command in (
        LinkRelative(command_id=next_id(), psn_no=psn_no, relative_psn_no="P-MUM", relation=Relation.PARENT),
        EnrollResident(command_id=next_id(), psn_no=psn_no, coverage_year=2026, paid_on=date(2025, 11, 1),
                       cash_amount=PREMIUM),
        RecordFundPaymentYear(command_id=next_id(), psn_no=psn_no, settlement_year=2026, paid=True, claim_id="C1"),
        FileCrossRegionTreatment(command_id=next_id(), psn_no=psn_no, filing_id="F1",
                                 kind=FilingKind.LONG_TERM_RESIDENCE, treatment_area="44", filed_on=date(2026, 2, 1)),
        DesignateSpecialDrug(command_id=next_id(), psn_no=psn_no, drug_code="XL01", hospital_codes=("H1", "H2"),
                             pharmacy_codes=("D1",), doctor_code="DR1", valid_from=date(2026, 2, 1)),
        ApplyForTransfer(command_id=next_id(), psn_no=psn_no, transfer_id="T1", to_region="110105",
                         applied_on=date(2026, 4, 1)),
    ):
        someone.handle(command, book)
    assert len({type(e) for e in someone.events}) >= 7
    for event in someone.events:
        event_type, data = encode_event(event, VAULT)
        stored = orjson.dumps(data).decode()  # what the jsonb column gives back (key order aside)
        assert decode_event(event_type, stored, VAULT) == event
