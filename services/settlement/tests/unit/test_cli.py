"""The auditor CLI on the shipped examples."""

from __future__ import annotations

import json

from services.settlement.entrypoints.cli import main

from .builders import EXAMPLES_DIR

CLAIM = str(EXAMPLES_DIR / "hunan-receipt.claim.json")


def test_adjudicate_prints_the_split_and_its_explanation(capsys):
    assert main(["adjudicate", "--claim", CLAIM, "--pack", "430100-390-2026"]) == 0
    out = capsys.readouterr().out
    assert "medfee_sumamt             5,792.53" in out
    assert "deductible 800.00: 1st admission in 2026, level-2 hospital, pack 430100-390-2026" in out


def test_adjudicate_as_json_with_accumulators_and_coverage(capsys):
    code = main([
        "adjudicate", "--claim", CLAIM, "--pack", "430100-390-2026", "--json",
        "--accumulators", str(EXAMPLES_DIR / "second-admission.accumulators.json"),
        "--coverage", str(EXAMPLES_DIR / "minimum-income.coverage.json"),
    ])
    result = json.loads(capsys.readouterr().out)
    assert code == 0 and result["amounts"]["act_pay_dedc"] == 40000
    assert result["amounts"]["maf_pay"] > 0 and result["accumulator_delta"]["admissions"] == 1
    assert result["lines"][3]["fulamt_ownpay_amt"] == 18000  # the CT repeats one of 2026-02-20


def test_a_rejected_claim_exits_with_status_1(capsys, tmp_path):
    claim = json.loads((EXAMPLES_DIR / "hunan-receipt.claim.json").read_text(encoding="utf-8")) | {"work_injury": True}
    path = tmp_path / "claim.json"
    path.write_text(json.dumps(claim), encoding="utf-8")
    assert main(["adjudicate", "--claim", str(path), "--pack", "430100-390-2026"]) == 1
    assert "REJECTED: EXCLUDED_SERVICE" in capsys.readouterr().out


def test_unusable_input_exits_with_status_2(capsys):
    assert main(["adjudicate", "--claim", CLAIM, "--pack", "no-such-pack"]) == 2
    assert "no pack 'no-such-pack'" in capsys.readouterr().err


def test_whatif_compares_fund_spending_under_two_packs(capsys):
    code = main([
        "whatif", "--claims", str(EXAMPLES_DIR / "claims.jsonl"), "--pack", "430100-390-2026",
        "--against", str(EXAMPLES_DIR / "430100-390-2026-draft.yaml"), "--json",
    ])
    report = json.loads(capsys.readouterr().out)
    a, b = report["totals"]["a"], report["totals"]["b"]
    assert code == 0 and b["pooling"] > a["pooling"]
    assert b["total"] - a["total"] == a["patients"] - b["patients"]
    assert {c["claim_id"] for c in report["changes"]} == {"WI-002", "WI-003", "WI-004"}
    assert [r["reason_code"] for r in report["rejections"]] == ["EXCLUDED_SERVICE", "EXCLUDED_SERVICE"]


def test_the_coverage_file_carries_each_designations_dates(tmp_path, capsys):
    claim = {"claim_id": "SD-1", "fixmedins_code": "P43010300999", "fixmedins_type": "pharmacy", "hosp_lv": "3",
             "psn_no": "430102199001011234", "insutype": "390", "med_type": "15", "insuplc_admdvs": "430100",
             "mdtrtarea_admvs": "430100", "begntime": "2026-03-02T09:30:00", "bilg_dr_codg": "D1",
             "fee_details": [{"feedetl_sn": "1", "med_list_codg": "XL01EBA078A001010100081", "cnt": "1",
                              "pric": "5100", "det_item_fee_sumamt": 510000}]}
    designations = [
        {"med_list_codg": "XL01EBA078A001010100081", "fixmedins_codes": ["P43010300007"], "valid_to": "2026-02-28"},
        {"med_list_codg": "XL01EBA078A001010100081", "fixmedins_codes": ["P43010300999"], "valid_from": "2026-03-01"},
    ]
    (tmp_path / "claim.json").write_text(json.dumps(claim))
    (tmp_path / "cov.json").write_text(json.dumps({"special_drugs": designations}))
    args = ["adjudicate", "--claim", str(tmp_path / "claim.json"), "--pack", "430100-390-2026",
            "--coverage", str(tmp_path / "cov.json")]
    assert main(args) == 0  # the new pharmacy's designation, valid from 1 March
    (tmp_path / "cov.json").write_text(json.dumps({"special_drugs": designations[:1]}))
    assert main(args) == 1  # only the ended one
    assert "SPECIAL_DRUG_CHANNEL" in capsys.readouterr().out
