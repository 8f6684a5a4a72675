"""Refusals before any money is computed, each with its reason code and a sentence the clerk can act on."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from services.settlement.domain import (
    Accumulators,
    Coverage,
    CrossRegionFiling,
    FeeLine,
    NoPolicyPack,
    ReasonCode,
    Rejection,
    adjudicate,
)

from .builders import (
    APPENDECTOMY,
    BED,
    CAPTOPRIL,
    DOUBLE_EYELID,
    catalogue_for,
    claim,
    line,
    pack,
    packs,
    reject,
    settle,
)


def test_a_person_without_coverage_is_not_insured():
    c = claim()
    outcome = adjudicate(c, coverage=None, accumulators=Accumulators(2026), pack=pack(), catalogue=catalogue_for("430100"))
    assert isinstance(outcome, Rejection) and outcome.reason_code == ReasonCode.NOT_INSURED


@pytest.mark.parametrize("change", [dict(active=False), dict(insutype="310"), dict(insured_region="430200")])
def test_a_lapsed_or_different_insurance_is_not_insured(change):
    c = claim()
    fields = dict(psn_no=c.psn_no, insutype=c.insutype, insured_region=c.insuplc_admdvs) | change
    assert reject(c, cov=Coverage(**fields)).reason_code == ReasonCode.NOT_INSURED


def test_costs_in_the_waiting_period_are_not_reimbursed():
    r = reject(claim(begntime=datetime(2026, 3, 31, 8)), waiting_until=date(2026, 3, 31))
    assert r.reason_code == ReasonCode.WAITING_PERIOD and "until 2026-03-31" in r.reason


def test_benefits_start_the_day_after_the_waiting_period():
    settle(claim(begntime=datetime(2026, 4, 1, 8)), waiting_until=date(2026, 3, 31))


def test_a_service_outside_the_coverage_period_is_not_insured():
    r = reject(claim(), covered_from=date(2026, 4, 1))
    assert r.reason_code == ReasonCode.NOT_INSURED and "not insured on 2026-03-02" in r.reason


ELSEWHERE = dict(insuplc_admdvs="430100", mdtrtarea_admvs="371300")


def test_treatment_in_another_region_needs_a_filing():
    r = reject(claim(**ELSEWHERE))
    assert r.reason_code == ReasonCode.CROSS_REGION_NOT_FILED


def test_a_filing_must_be_valid_on_the_date_of_service():
    expired = CrossRegionFiling("371300", date(2025, 1, 1), date(2025, 12, 31))
    assert reject(claim(**ELSEWHERE), filings=(expired,)).reason_code == ReasonCode.CROSS_REGION_NOT_FILED


def test_a_filed_patient_settles_with_the_insured_regions_policy_and_the_treatment_regions_catalogue():
    filing = CrossRegionFiling("37", date(2026, 1, 1))  # the whole of Shandong
    s = settle(claim(line("1", BED, 10, 35), **ELSEWHERE), filings=(filing,))
    assert (s.pack_id, s.catalogue_region) == ("430100-390-2026", "370000")
    assert s.amounts.overlmt_selfpay == 5000  # Shandong caps the bed at 30, Hunan at 35


def test_an_emergency_may_be_settled_without_a_filing():
    settle(claim(line("1", CAPTOPRIL, 1, 4), med_type="13", **ELSEWHERE))


def test_work_injury_care_is_excluded():
    r = reject(claim(work_injury=True))
    assert r.reason_code == ReasonCode.EXCLUDED_SERVICE and "工伤" in r.reason


def test_a_bill_of_cosmetic_services_only_is_excluded():
    r = reject(claim(line("1", DOUBLE_EYELID, 1, 3000)))
    assert r.reason_code == ReasonCode.EXCLUDED_SERVICE


def test_a_traceability_code_already_sold_is_refused():
    c = claim(line("1", CAPTOPRIL, 2, 4, drug_trac_codg=("81000000000000000001", "81000000000000000002")))
    r = reject(c, sold=frozenset({"81000000000000000002"}))
    assert r.reason_code == ReasonCode.TRACEABILITY_CODE_REUSED and "81000000000000000002" in r.reason


def test_a_traceability_code_twice_in_one_bill_is_refused():
    c = claim(line("1", CAPTOPRIL, 1, 4, drug_trac_codg=("81000000000000000001",)),
              line("2", CAPTOPRIL, 1, 4, drug_trac_codg=("81000000000000000001",)))
    assert reject(c).reason_code == ReasonCode.TRACEABILITY_CODE_REUSED


def test_sold_traceability_codes_are_reported_for_recording():
    s = settle(claim(line("1", CAPTOPRIL, 1, 4, drug_trac_codg=("81000000000000000001",))))
    assert s.traceability_codes == ("81000000000000000001",)


@pytest.mark.parametrize(
    ("bad_line", "words"),
    [
        (FeeLine("1", APPENDECTOMY, Decimal(1), Decimal(1200), 119999), "cnt 1 × pric 1200 is 120000 fen"),
        (FeeLine("1", APPENDECTOMY, Decimal(0), Decimal(1200), 0), "cnt is zero"),
        (line("1", APPENDECTOMY, -1, 1200), "refund line"),
    ],
)
def test_a_malformed_line_makes_the_claim_invalid(bad_line, words):
    r = reject(claim(bad_line))
    assert r.reason_code == ReasonCode.INVALID_CLAIM and words in r.reason


def test_two_lines_with_one_serial_number_make_the_claim_invalid():
    r = reject(claim(line("1", BED, 1, 35), line("1", BED, 2, 35)))
    assert r.reason_code == ReasonCode.INVALID_CLAIM


def test_a_pack_of_another_region_is_no_policy_pack():
    r = reject(claim(), pack_=pack("371300-390-2026"))
    assert r.reason_code == ReasonCode.NO_POLICY_PACK


def test_no_pack_in_force_on_the_date_of_service_is_a_domain_error():
    with pytest.raises(NoPolicyPack, match="on 2030-01-05"):
        packs().pack_for("430100", "390", date(2030, 1, 5))
