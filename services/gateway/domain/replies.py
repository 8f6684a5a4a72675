"""The settlement replies of 2206/2207/2208 and 2303/2304/2305: `setlinfo` and `setldetail`.

Every listed key is present (`null` when empty, R11). Amounts are fen here and become yuan at the
edge. A cancellation answers the reversing split: every amount negative (R6). `setldetail` mixes the
funds with the personal-account rows (310200 own account, 310201 a relative's) as real replies do
(R7); the totals are never computed from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from libs.china_time import CHINA_TIME
from libs.money import Fen
from services.gateway.domain.codes import FUND_PAY_TYPE_NAMES, MUTUAL_AID_ACCOUNT, PERSONAL_ACCOUNT
from services.gateway.domain.visit import INPATIENT, Visit

SCOPE = ("fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt")
FUNDS = ("hifp_pay", "cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay", "maf_pay", "oth_pay")
MONEY = ("medfee_sumamt", *SCOPE, "act_pay_dedc", *FUNDS, "fund_pay_sumamt", "psn_part_amt", "acct_pay",
         "psn_cash_pay", "hosp_part_amt", "acct_mulaid_pay")


@dataclass(frozen=True)
class Split:
    """A settlement's split as the platform decided it, in fen (positive)."""

    amounts: dict[str, Fen | Decimal]  # SettlementAmounts' fields
    funds: list[tuple[str, Fen]]  # (fund_pay_type, fund_payamt)
    acct_pay: Fen
    acct_mulaid_pay: Fen
    psn_cash_pay: Fen
    balc: Fen | None
    setl_id: str | None = None
    setl_time: datetime | None = None
    extras: dict[str, Any] = field(default_factory=dict)


def setlinfo(visit: Visit, split: Split, *, national_med_type: str, medins_setl_id: str, posted: bool,
             sign: int = 1) -> dict[str, Any]:
    """The `setlinfo` object in fen (`sign` -1 for a cancellation)."""
    a = split.amounts
    money: dict[str, Fen] = dict.fromkeys(MONEY, 0)
    for name in ("medfee_sumamt", *SCOPE, "act_pay_dedc", "hifp_pay", "hifmi_pay", "hifob_pay", "maf_pay", "oth_pay",
                 "fund_pay_sumamt", "psn_part_amt"):
        money[name] = int(a.get(name, 0) or 0)
    money.update(acct_pay=split.acct_pay, acct_mulaid_pay=split.acct_mulaid_pay, psn_cash_pay=split.psn_cash_pay)
    person = visit.person
    info: dict[str, Any] = {
        "mdtrt_id": visit.mdtrt_id, "setl_id": split.setl_id if posted else None, "psn_no": visit.psn_no,
        "psn_name": person.psn_name_masked, "psn_cert_type": "01", "certno": person.certno_masked,
        "gend": person.gend, "naty": None, "brdy": None,
        "age": None if person.age is None else Decimal(person.age).quantize(Decimal("0.1")),
        "insutype": visit.insutype, "psn_type": person.psn_type, "cvlserv_flag": "0",
        "setl_time": china(split.setl_time).strftime("%Y-%m-%d %H:%M:%S") if posted and split.setl_time else None,
        "mdtrt_cert_type": visit.mdtrt_cert_type, "med_type": national_med_type,
    }
    info.update({name: sign * value for name, value in money.items()})
    info["pool_prop_selfpay"] = Decimal(str(a.get("pool_prop_selfpay", 0) or 0)).quantize(Decimal("0.0001"))
    info["balc"] = split.balc
    info["medins_setl_id"] = medins_setl_id
    info["clr_optins"] = visit.mdtrtarea_admvs if posted else None
    info["clr_way"] = "1" if posted else None
    info["clr_type"] = "21" if visit.kind == INPATIENT else "41" if visit.med_type == "41" else "11"
    return info


def china(moment: datetime) -> datetime:
    """The platform's times are UTC; the interface's are China time, without a zone (R12)."""
    return moment.astimezone(CHINA_TIME).replace(tzinfo=None) if moment.tzinfo else moment


def setldetail(split: Split, sign: int = 1) -> list[dict[str, Any]]:
    inscp = int(split.amounts.get("inscp_scp_amt", 0) or 0)
    rows = [(code, amount) for code, amount in split.funds if amount]
    if split.acct_pay:
        rows.append((PERSONAL_ACCOUNT, split.acct_pay))
    if split.acct_mulaid_pay:
        rows.append((MUTUAL_AID_ACCOUNT, split.acct_mulaid_pay))
    return [{"fund_pay_type": code, "inscp_scp_amt": sign * inscp, "crt_payb_lmt_amt": None,
             "fund_payamt": sign * amount, "fund_pay_type_name": FUND_PAY_TYPE_NAMES.get(code),
             "setl_proc_info": None} for code, amount in rows]


def identities_hold(info: dict[str, Any]) -> list[str]:
    """The rules every reply must satisfy (R2, R3, R4), as a list of what fails (empty: all hold)."""
    g = {k: (info.get(k) or 0) for k in MONEY}
    failed = []
    if g["medfee_sumamt"] != g["fund_pay_sumamt"] + g["psn_part_amt"] + g["hosp_part_amt"]:
        failed.append("medfee_sumamt = fund_pay_sumamt + psn_part_amt + hosp_part_amt")
    if g["medfee_sumamt"] != sum(g[k] for k in SCOPE):
        failed.append("medfee_sumamt = fulamt_ownpay_amt + overlmt_selfpay + preselfpay_amt + inscp_scp_amt")
    if g["psn_part_amt"] != g["acct_pay"] + g["psn_cash_pay"] + g["acct_mulaid_pay"]:
        failed.append("psn_part_amt = acct_pay + psn_cash_pay + acct_mulaid_pay")
    if g["fund_pay_sumamt"] != sum(g[k] for k in FUNDS):
        failed.append("fund_pay_sumamt = hifp_pay + cvlserv_pay + hifes_pay + hifmi_pay + hifob_pay + maf_pay + oth_pay")
    return failed
