"""The domain produces every field of the wire contracts, and reads a ClaimSubmitted as it is."""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import date

from libs.contracts.claims import ClaimSubmitted, FundDetail, SettlementAmounts
from libs.contracts.enrollment import CoverageChanged
from services.settlement.domain import (
    COUNTERS,
    AccumulatorDelta,
    Accumulators,
    Amounts,
    claim_from_message,
    coverage_from_message,
)

from .builders import EXAMPLES_DIR, PATIENT, claim, settle
from .test_worked_examples import HUNAN_RECEIPT


def test_amounts_carry_every_field_of_settlement_amounts():
    assert {f.name for f in fields(Amounts)} == set(SettlementAmounts.model_fields)
    s = settle(claim(*HUNAN_RECEIPT, hosp_lv="2"))
    assert SettlementAmounts(**s.amounts.as_dict()).medfee_sumamt == 579253
    assert [FundDetail(**row).fund_pay_type for row in s.setldetail()] == ["390100"]


def test_a_claim_submitted_message_becomes_a_domain_claim():
    data = json.loads((EXAMPLES_DIR / "hunan-receipt.claim.json").read_text(encoding="utf-8"))
    c = claim_from_message(ClaimSubmitted.model_validate(data))
    assert c.fee_details == HUNAN_RECEIPT
    assert (c.hosp_lv, c.med_type, c.service_date.isoformat()) == ("2", "21", "2026-03-02")


def test_a_coverage_changed_event_becomes_the_coverage_settlement_needs():
    event = CoverageChanged(
        psn_no=PATIENT, version=3, insutype="390", insuplc_admdvs="430100", gend="1", age=36, active=True,
        coverage_begin=date(2026, 1, 1), waiting_until=None, hardship_group="none", continuous_years=6,
        chronic_approvals=[{"opsp_dise_code": "M03900", "begndate": date(2026, 1, 1)}],
        special_drugs=[{"med_list_codg": "X1", "fixmedins_codes": ["H1", "P1"], "bilg_dr_codg": "D1"}],
        filings=[{"filing_id": "F1", "kind": "temporary", "mdtrtarea_admvs": "37", "begndate": date(2026, 2, 1)}],
    )
    coverage = coverage_from_message(event)
    assert coverage.hardship_group is None and coverage.insured_region == "430100"
    assert coverage.has_chronic_approval("M03900", date(2026, 3, 2))
    assert coverage.has_filing_for("371300", date(2026, 3, 2)) and not coverage.has_filing_for("371300", date(2026, 1, 2))
    designation, = coverage.designations_for("X1", date(2026, 3, 2))
    assert designation.fixmedins_codes == frozenset({"H1", "P1"})


def test_accumulators_and_deltas_serialise_to_flat_rows():
    assert set(Accumulators(2026).counters()) == {"year", *COUNTERS}
    assert {f.name for f in fields(Accumulators)} == {"year", "large_exams", *COUNTERS}
    delta_fields = {"year", "service_date", "large_exams_added", "large_exams_removed", *COUNTERS}
    assert {f.name for f in fields(AccumulatorDelta)} == delta_fields
    row = settle(claim(*HUNAN_RECEIPT)).delta.counters()
    assert all(isinstance(v, int) for k, v in row.items() if k != "service_date")
