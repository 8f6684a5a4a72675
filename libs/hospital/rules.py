"""What a claim must satisfy before it leaves the hospital, worded for the clerk who fixes it.

These are checks on the bill's form that any HIS can make locally (the settlement engine decides
coverage, catalogue and money). Each problem names the field by its Chinese label and its national
field name, so both the clerk and the HIS developer recognise it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, get_args

from libs.contracts.claims import HospitalLevel, Insutype, MedType
from libs.fee_lines import line_faults, refund_faults

LABELS = {
    "fixmedins_code": "定点医药机构编号 fixmedins_code", "fixmedins_type": "机构类型 fixmedins_type",
    "hosp_lv": "医院等级 hosp_lv", "mdtrt_id": "就诊ID mdtrt_id", "psn_no": "人员编号 psn_no",
    "insutype": "险种类型 insutype", "med_type": "医疗类别 med_type", "insuplc_admdvs": "参保地医保区划 insuplc_admdvs",
    "mdtrtarea_admvs": "就医地医保区划 mdtrtarea_admvs", "begntime": "开始时间 begntime", "endtime": "结束时间 endtime",
    "opsp_dise_code": "门慢门特病种代码 opsp_dise_code", "bilg_dr_codg": "开单医生编码 bilg_dr_codg",
    "feedetl_sn": "费用明细流水号 feedetl_sn", "init_feedetl_sn": "原费用流水号 init_feedetl_sn",
    "med_list_codg": "医疗目录编码 med_list_codg", "cnt": "数量 cnt", "pric": "单价 pric",
    "det_item_fee_sumamt": "明细项目费用总额 det_item_fee_sumamt",
}
MED_TYPES = {"11": "普通门诊", "13": "急诊", "14": "门诊慢特病", "15": "特药", "21": "普通住院",
             "41": "药店购药", "51": "生育门诊", "52": "生育住院"}
INPATIENT = frozenset({"21", "52"})
PHARMACY_MED_TYPES = frozenset({"41", "15"})  # a designated pharmacy also dispenses dual-channel drugs
ADMDVS = re.compile(r"^\d{6}$")


@dataclass(frozen=True)
class Problem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def label(name: str) -> str:
    return LABELS.get(name, name)


def check_visit(v: Any, action: str) -> list[Problem]:
    p: list[Problem] = []

    def bad(name: str, message: str) -> None:
        p.append(Problem(name, f"{label(name)} {message}"))

    for name in ("fixmedins_code", "mdtrt_id", "psn_no"):
        value = getattr(v, name)
        if not value or not str(value).strip():
            bad(name, "is missing")
    if len(v.fixmedins_code or "") > 30:
        bad("fixmedins_code", "may have at most 30 characters")
    if v.fixmedins_type not in ("hospital", "pharmacy"):
        bad("fixmedins_type", "must be 'hospital' or 'pharmacy'")
    if v.hosp_lv not in get_args(HospitalLevel):
        bad("hosp_lv", f"{v.hosp_lv!r} is not one of {', '.join(get_args(HospitalLevel))}")
    if v.insutype not in get_args(Insutype):
        bad("insutype", f"{v.insutype!r} is not 310 (employees), 390 (residents) or 510 (maternity)")
    if v.med_type not in get_args(MedType):
        bad("med_type", f"{v.med_type!r} is not one of " + ", ".join(f"{k} {n}" for k, n in MED_TYPES.items()))
    for name in ("insuplc_admdvs", "mdtrtarea_admvs"):
        if not ADMDVS.match(str(getattr(v, name) or "")):
            bad(name, f"{getattr(v, name)!r} must be a 6-digit region code such as 430100")
    if not isinstance(v.begntime, datetime) or (v.endtime is not None and not isinstance(v.endtime, datetime)):
        bad("begntime", "and endtime must be dates with times")
        return p
    p += _check_kind_of_visit(v, action)
    return p


def _check_kind_of_visit(v: Any, action: str) -> list[Problem]:
    p: list[Problem] = []
    med = MED_TYPES.get(v.med_type, v.med_type)
    if v.fixmedins_type == "pharmacy" and v.med_type not in PHARMACY_MED_TYPES:
        p.append(Problem("med_type", f"a pharmacy settles 41 药店购药 or 15 特药, not {v.med_type} {med}"))
    if v.fixmedins_type == "hospital" and v.med_type == "41":
        p.append(Problem("med_type", "41 药店购药 is for designated pharmacies; a hospital uses 11, 13, 14, 15, 21, 51 or 52"))
    if v.insutype == "510" and v.med_type not in ("51", "52"):
        p.append(Problem("insutype", f"maternity insurance 510 pays only 51 生育门诊 or 52 生育住院, not {v.med_type} {med}"))
    if v.med_type == "14" and not v.opsp_dise_code:
        p.append(Problem("opsp_dise_code", f"{label('opsp_dise_code')} is required for 14 门诊慢特病"))
    if v.med_type == "15" and not v.bilg_dr_codg:
        p.append(Problem("bilg_dr_codg", f"{label('bilg_dr_codg')} is required for 15 特药 (the designated doctor)"))
    if v.med_type in INPATIENT:
        if v.endtime is None and action == "settle":
            p.append(Problem("endtime", f"{label('endtime')} (discharge) is required to settle {v.med_type} {med}; "
                                        "pre-settle while the patient is still in hospital"))
        elif v.endtime is not None and v.endtime < v.begntime:
            p.append(Problem("endtime", f"discharge {v.endtime:%Y-%m-%d %H:%M} is before admission {v.begntime:%Y-%m-%d %H:%M}"))
    elif v.endtime is not None and v.endtime < v.begntime:
        p.append(Problem("endtime", f"{label('endtime')} is before {label('begntime')}"))
    return p


def check_lines(lines: Sequence[Any]) -> list[Problem]:
    """Lines are `bill._Line`s; amounts already converted to fen where they could be."""
    p: list[Problem] = []
    if not lines:
        return [Problem("fee_details", "the bill has no fee lines")]
    by_sn: dict[str, Any] = {}
    for ln in lines:
        if not ln.feedetl_sn:
            p.append(Problem(ln.where, f"{label('feedetl_sn')} is missing"))
        elif len(ln.feedetl_sn) > 30:
            p.append(Problem(ln.where, f"{label('feedetl_sn')} may have at most 30 characters"))
        elif ln.feedetl_sn in by_sn:
            p.append(Problem(ln.where, f"{label('feedetl_sn')} {ln.feedetl_sn} is used by another line of this bill; "
                                       "each line needs its own serial number"))
        else:
            by_sn[ln.feedetl_sn] = ln
        if not ln.med_list_codg:
            p.append(Problem(ln.where, f"{label('med_list_codg')} is missing"))
        elif len(ln.med_list_codg) > 50:
            p.append(Problem(ln.where, f"{label('med_list_codg')} may have at most 50 characters"))
        if ln.pric is not None and ln.pric.as_tuple().exponent < -6:
            p.append(Problem(ln.where, f"{label('pric')} {ln.pric} has more than 6 decimals"))
        p += [Problem(ln.where, fault) for fault in line_faults(ln, label)]
    # No check of the bill's total: refunds never return more units than a line charged (refund_faults),
    # and single-unit refunds rounded by the national rule may sum a fen above the charge; settlement
    # takes back exactly the charge (libs/fee_lines.py).
    p += [Problem(ln.where, fault) for ln, fault in refund_faults(lines, label)]
    return p
