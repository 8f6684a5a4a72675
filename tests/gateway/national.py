"""Helpers for the gateway's end-to-end tests: the reply checks every test applies, and request bodies."""

from __future__ import annotations

import io
import zipfile
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from services.gateway.domain.detail_file import RESULT_COLUMNS

MONEY = ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt", "act_pay_dedc",
         "hifp_pay", "cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay", "maf_pay", "oth_pay", "fund_pay_sumamt",
         "psn_part_amt", "acct_pay", "psn_cash_pay", "hosp_part_amt", "acct_mulaid_pay")


def d(value: Any) -> Decimal:
    return Decimal(str(value or 0))


def check_settlement_identities(setlinfo: dict[str, Any]) -> None:
    """R2, R3, R4 on a setlinfo; every amount has at most two decimals."""
    g = {k: d(setlinfo.get(k)) for k in MONEY}
    for name, value in g.items():
        assert value == value.quantize(Decimal("0.01")), f"{name} {value} has more than two decimals"
    assert g["medfee_sumamt"] == g["fund_pay_sumamt"] + g["psn_part_amt"] + g["hosp_part_amt"]
    assert g["medfee_sumamt"] == g["fulamt_ownpay_amt"] + g["overlmt_selfpay"] + g["preselfpay_amt"] + g["inscp_scp_amt"]
    assert g["psn_part_amt"] == g["acct_pay"] + g["psn_cash_pay"] + g["acct_mulaid_pay"]
    assert g["fund_pay_sumamt"] == sum(g[k] for k in ("hifp_pay", "cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay",
                                                      "maf_pay", "oth_pay"))


def check_line(row: dict[str, Any]) -> None:
    """R5 on one 2204/2301 result row: four parts, cnt × pric, and the 乙类 self-pay rounding."""
    det = d(row["det_item_fee_sumamt"])
    parts = [d(row[k]) for k in ("fulamt_ownpay_amt", "overlmt_amt", "preselfpay_amt", "inscp_scp_amt")]
    assert det == sum(parts)
    assert det == (d(row["cnt"]) * d(row["pric"])).quantize(Decimal("0.01"), ROUND_HALF_UP)
    if row["chrgitm_lv"] in ("01", "02"):
        expected = ((det - parts[0] - parts[1]) * d(row["selfpay_prop"])).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert parts[2] == expected
    else:
        assert row["chrgitm_lv"] == "03" and d(row["selfpay_prop"]) == 1 and parts[0] == det


def keys(value: Any) -> Any:
    """The shape of a reply: nested key sets (lists by their first element)."""
    if isinstance(value, dict):
        return {k: keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [keys(value[0])] if value else []
    return None


def fee_line(sn: str, mdtrt_id: str, psn_no: str, batch: str, code: str, pric: str, cnt: str,
             init: str | None = None) -> dict[str, Any]:
    det = (Decimal(cnt) * Decimal(pric)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return {"feedetl_sn": sn, "init_feedetl_sn": init, "mdtrt_id": mdtrt_id, "psn_no": psn_no, "chrg_bchno": batch,
            "med_type": "21", "rx_circ_flag": "0", "fee_ocur_time": "2026-12-05 09:10:00", "med_list_codg": code,
            "medins_list_codg": code, "det_item_fee_sumamt": det, "cnt": Decimal(cnt), "pric": Decimal(pric),
            "bilg_dept_codg": "0301", "bilg_dept_name": "内科", "bilg_dr_codg": "D001", "bilg_dr_name": "医生",
            "hosp_appr_flag": "1", "exp_content": None}


def detail_line(info: dict[str, Any], flag: str = "0", **changed: Any) -> str:
    """A line of the detail file (3202) for a 2207 (flag 0) or 2208 (flag 1) setlinfo, some values changed."""
    values = {k: info[k] for k in ("setl_id", "mdtrt_id", "psn_no", "medfee_sumamt", "fund_pay_sumamt", "acct_pay")}
    values.update(changed)
    return "\t".join([*(str(v) for v in values.values()), flag])


def zip_of(text: str, name: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, text.encode())
    return buffer.getvalue()


def result_rows(content: bytes) -> list[dict[str, str]]:
    """The rows of a 3202 result file (zipped, one member), by the names of fields/3202.json."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        [member] = archive.namelist()
        text = archive.read(member).decode()
    return [dict(zip(RESULT_COLUMNS, line.split("\t"), strict=True)) for line in text.splitlines() if line]
