"""Building a claim from what a HIS has, and the checks a clerk sees before it leaves the hospital."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from libs.hospital.bill import InvalidClaim, Visit, build_claim, cancel_request

ADMITTED, DISCHARGED = datetime(2026, 6, 1, 9, 30), datetime(2026, 6, 8, 10, 0)


def visit(**changes) -> Visit:
    fields = dict(fixmedins_code="H43010000001", hosp_lv="3", mdtrt_id="MDT1", psn_no="P1", insutype="390",
                  med_type="11", insuplc_admdvs="430100", mdtrtarea_admvs="430100", begntime=ADMITTED)
    return Visit(**{**fields, **changes})


def line(sn: str, code: str = "002501000010000", cnt: str = "1", pric: str = "10.00", **extra) -> dict:
    return {"feedetl_sn": sn, "med_list_codg": code, "cnt": cnt, "pric": pric, **extra}


def problems(claim_id: str, v: Visit, lines: list[dict], action: str = "settle") -> list[str]:
    with pytest.raises(InvalidClaim) as caught:
        build_claim(claim_id, v, lines, action)
    return [str(p) for p in caught.value.problems]


def test_yuan_amounts_from_the_his_become_integer_fen_on_the_claim() -> None:
    claim = build_claim("C1", visit(), [line("1", cnt="2", pric="35.50", det_item_fee_sumamt="71.00"),
                                        line("2", cnt="3", pric="0.333")])
    assert [ln.det_item_fee_sumamt for ln in claim.fee_details] == [7100, 100]
    assert claim.fee_details[1].cnt == Decimal("3") and claim.fee_details[1].pric == Decimal("0.333")


def test_an_amount_that_is_not_count_times_price_is_refused_with_both_figures() -> None:
    [found] = problems("C1", visit(), [line("1", cnt="2", pric="35.50", det_item_fee_sumamt="71.50")])
    assert "fee line 1 (feedetl_sn 1)" in found and "71.50 yuan" in found and "71.00 yuan" in found


def test_an_amount_given_in_fen_by_mistake_is_pointed_out() -> None:
    [found] = problems("C1", visit(), [line("1", cnt="2", pric="35.50", det_item_fee_sumamt="7100")])
    assert "was it given in fen" in found


def test_binary_floats_are_refused_rather_than_rounded() -> None:
    [found] = problems("C1", visit(), [line("1", pric=35.5)])  # type: ignore[arg-type]  # a float: the mistake under test
    assert "float" in found and "'35.50'" in found


def test_every_problem_is_listed_at_once() -> None:
    found = problems("C1", visit(med_type="99", insuplc_admdvs="4301"), [line("1"), line("1", cnt="0")])
    assert len(found) == 4
    assert any("med_type" in p for p in found) and any("insuplc_admdvs" in p for p in found)
    assert any("used by another line" in p for p in found) and any("cnt is zero" in p for p in found)


def test_a_refund_line_must_name_a_charge_line_of_the_same_item_and_price() -> None:
    charge = line("1", code="XA10BAD010A001010100593", cnt="3", pric="9.00")
    ok = build_claim("C1", visit(), [charge, line("2", code=charge["med_list_codg"], cnt="-1", pric="9.00", init_feedetl_sn="1")])
    assert sum(ln.det_item_fee_sumamt for ln in ok.fee_details) == 1800
    assert "needs 原费用流水号" in problems("C2", visit(), [charge, line("2", cnt="-1", pric="9.00")])[0]
    assert "same unit price" in problems("C3", visit(), [charge, line("2", code=charge["med_list_codg"], cnt="-1",
                                                                       pric="8.00", init_feedetl_sn="1")])[0]
    assert "charged only 3" in problems("C4", visit(), [charge, line("2", code=charge["med_list_codg"], cnt="-4",
                                                                      pric="9.00", init_feedetl_sn="1")])[0]


def test_an_inpatient_stay_settles_only_with_a_discharge_but_pre_settles_without() -> None:
    stay = visit(med_type="21")
    assert "discharge" in problems("C1", stay, [line("1")])[0]
    assert build_claim("C1", stay, [line("1")], "presettle").action == "presettle"
    assert build_claim("C1", visit(med_type="21", endtime=DISCHARGED), [line("1")]).endtime == DISCHARGED
    assert "before admission" in problems("C2", visit(med_type="21", begntime=DISCHARGED, endtime=ADMITTED), [line("1")])[0]


def test_each_kind_of_visit_carries_what_it_needs() -> None:
    assert "opsp_dise_code" in problems("C1", visit(med_type="14"), [line("1")])[0]
    assert "bilg_dr_codg" in problems("C2", visit(med_type="15"), [line("1")])[0]
    assert "pharmacy settles 41" in problems("C3", visit(fixmedins_type="pharmacy"), [line("1")])[0]
    assert "designated pharmacies" in problems("C4", visit(med_type="41"), [line("1")])[0]
    assert "maternity insurance 510" in problems("C5", visit(insutype="510"), [line("1")])[0]


def test_a_visit_may_come_as_the_his_record_with_iso_times() -> None:
    record = {"fixmedins_code": "H1", "hosp_lv": "primary", "mdtrt_id": "M", "psn_no": "P", "insutype": "310",
              "med_type": "11", "insuplc_admdvs": "371300", "mdtrtarea_admvs": "371300", "begntime": "2026-06-01T09:30:00"}
    assert build_claim("C1", record, [line("1")]).begntime == ADMITTED
    missing = {k: v for k, v in record.items() if k != "psn_no"}
    with pytest.raises(InvalidClaim, match="人员编号 psn_no is missing"):
        build_claim("C1", missing, [line("1")])


def test_a_cancel_names_the_claim_its_hospital_and_patient() -> None:
    claim = build_claim("C1", visit(), [line("1")])
    cancel = cancel_request(claim, "X1", "wrong patient")
    assert (cancel.claim_id, cancel.fixmedins_code, cancel.psn_no, cancel.cancel_id) == ("C1", "H43010000001", "P1", "X1")
    with pytest.raises(InvalidClaim, match="cancel id"):
        cancel_request(claim, "")


def test_single_unit_refunds_rounded_by_the_national_rule_are_sent() -> None:
    charge = line("1", code="XA10BAD010A001010100593", cnt="2", pric="0.335")
    refunds = [line(sn, code=charge["med_list_codg"], cnt="-1", pric="0.335", init_feedetl_sn="1") for sn in ("2", "3")]
    claim = build_claim("C1", visit(), [charge, *refunds])
    assert [ln.det_item_fee_sumamt for ln in claim.fee_details] == [67, -34, -34]
