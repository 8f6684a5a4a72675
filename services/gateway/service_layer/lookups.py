"""Sign-in (9001), the person (1101), accumulators (5206) and reconciliation (3201/3202)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from services.gateway.adapters.platform_http import PlatformUnavailable
from services.gateway.domain import amounts
from services.gateway.domain.errors import InvalidInput, Refusal
from services.gateway.service_layer.call import Call, text, when
from services.gateway.service_layer.deps import Deps
from services.gateway.service_layer.persons import balance, by_credential, person_of, remember


async def sign_in(deps: Deps, call: Call) -> dict[str, Any]:
    """9001: a session serial for the operator, sent as sign_no on every later request."""
    node = call.input.get("signIn") or call.input.get("data") or {}
    opter = str(node.get("opter_no") or call.envelope.get("opter") or "")
    if not opter:
        raise InvalidInput("signIn.opter_no (or the envelope's opter) 必填 (is required)")
    async with deps.database.transaction() as tx:
        sign_no, at = await deps.store_for(tx).sign_in(call.code, opter)
    return {"signinoutb": {"sign_time": at.astimezone(deps.clock().tzinfo).strftime("%Y-%m-%d %H:%M:%S"),
                           "sign_no": sign_no}}


async def person(deps: Deps, call: Call) -> dict[str, Any]:
    """1101 by credential (01 e-voucher, 02 resident ID card, 03 social-security card) or certificate:
    baseinfo, one insuinfo row per insurance held, idetinfo."""
    found = await by_credential(deps, call, call.node("data"))
    remember(deps, found)
    p, cov = person_of(found), found["coverage"]
    own = await balance(deps, p.psn_no) if cov["insutype"] == "310" else None
    rows = [_insuinfo(cov, cov["insutype"], p.psn_type, own or 0)]
    if cov.get("maternity") and cov["insutype"] != "510":
        rows.append(_insuinfo(cov, "510", p.psn_type, 0))
    brdy = None
    return {
        "baseinfo": {"psn_no": p.psn_no, "psn_cert_type": "01", "certno": p.certno_masked, "psn_name": p.psn_name_masked,
                     "gend": p.gend, "naty": None, "brdy": brdy,
                     "age": None if p.age is None else Decimal(p.age).quantize(Decimal("0.1")), "exp_content": None},
        "insuinfo": rows,
        "idetinfo": [],
    }


def _insuinfo(cov: dict[str, Any], insutype: str, psn_type: str | None, balc: int) -> dict[str, Any]:
    return {"balc": amounts.yuan(balc), "insutype": insutype, "psn_type": psn_type,
            "psn_insu_stas": "1" if cov.get("active") else "4", "psn_insu_date": cov.get("coverage_begin"),
            "paus_insu_date": None if cov.get("active") else cov.get("coverage_end"), "cvlserv_flag": "0",
            "insuplc_admdvs": cov.get("insuplc_admdvs"), "emp_name": None}


# 5206 rows from the engine's counters: (cum_type_code, counter, is an amount in fen).
CUMULATORS = (
    ("C0000_BIZ21", "admissions", False),
    ("Q0000", "deductible_paid", True),
    ("Q0000_BIZ11", "outpatient_deductible_paid", True),
    ("Q0000_BIZ14", "chronic_deductible_paid", True),
    ("D{insutype}101", "pooling_paid", True),
    ("D{insutype}101_BIZ11", "outpatient_pooling_paid", True),
    ("S0000_DBBX", "critical_illness_base", True),
    ("D{critical}01", "critical_illness_paid", True),
    ("D610101", "assistance_paid", True),
    ("F0000_BIZ51", "prenatal_paid", True),
)


async def accumulators(deps: Deps, call: Call) -> dict[str, Any]:
    """5206: the person's year-to-date accumulators for the year of cum_ym."""
    data = call.node("data")
    psn_no = text(data, "psn_no", max_length=30)
    cum_ym = text(data, "cum_ym", required=False, max_length=6) or deps.clock().strftime("%Y%m")
    if len(cum_ym) != 6 or not cum_ym.isdigit():
        raise InvalidInput(f"cum_ym {cum_ym!r} must be yyyyMM")
    try:
        found = await deps.queries.accumulators(psn_no, int(cum_ym[:4]))
        who = await deps.queries.person(psn_no)
    except PlatformUnavailable:
        raise Refusal("累计信息暂时无法查询 (the settlement engine did not answer); send 5206 again", "TRY_AGAIN") from None
    if who is None:
        raise InvalidInput(f"人员编号 psn_no {psn_no} 未参保 (is not insured on this platform)")
    insutype = who["coverage"]["insutype"]
    critical = "3301" if insutype == "310" else "3902"
    rows = []
    for code, counter, money in CUMULATORS:
        value = int((found or {}).get(counter) or 0)
        rows.append({"insutype": insutype, "year": cum_ym[:4], "cum_ym": cum_ym,
                     "cum_type_code": code.format(insutype=insutype, critical=critical),
                     "cum": amounts.yuan(value) if money else Decimal(value)})
    return {"cuminfo": rows}


def _period(data: dict[str, Any]) -> tuple[datetime, datetime]:
    start = when(data, "stmt_begndate")
    end = when(data, "stmt_enddate")
    if end.time() == datetime.min.time():
        end = end + timedelta(days=1)  # a date: the whole day
    return start, end


async def _totals(deps: Deps, call: Call, data: dict[str, Any]) -> dict[str, int]:
    start, end = _period(data)
    insutype = str(data.get("insutype") or "") or None
    clr_type = str(data.get("clr_type") or "") or None
    async with deps.database.transaction() as tx:
        rows = await deps.store_for(tx).settlements_between(call.code, start, end)
    totals = {"medfee_sumamt": 0, "fund_pay_sumamt": 0, "acct_pay": 0, "psn_cash_pay": 0, "count": 0}
    for row in rows:
        info = row["setlinfo"]["setlinfo"]
        if (insutype and info["insutype"] != insutype) or (clr_type and info["clr_type"] != clr_type):
            continue
        for sign, at in ((1, row["setl_time"]), (-1, row["cancel_time"])):
            if at is not None and start <= at < end:
                for name in ("medfee_sumamt", "fund_pay_sumamt", "acct_pay", "psn_cash_pay"):
                    totals[name] += sign * int(info[name] or 0)
                totals["count"] += 1
    return totals


async def reconcile_totals(deps: Deps, call: Call) -> dict[str, Any]:
    """3201: compare the institution's period totals with the gateway's record of posted settlements.

    A settlement counts once when posted and once more (negatively) when cancelled, in the period
    each happened in; `fixmedins_setl_cnt` counts both."""
    data = call.node("data")
    ours = await _totals(deps, call, data)
    theirs = {"medfee_sumamt": amounts.fen(data.get("medfee_sumamt"), "medfee_sumamt"),
              "fund_pay_sumamt": amounts.fen(data.get("fund_pay_sumamt"), "fund_pay_sumamt"),
              "acct_pay": amounts.fen(data.get("acct_pay"), "acct_pay"),
              "count": int(amounts.decimal(data.get("fixmedins_setl_cnt"), "fixmedins_setl_cnt", places=0))}
    differ = [f"{k}: 机构 {_show(k, v)} / 平台 {_show(k, ours[k])}" for k, v in theirs.items() if v != ours[k]]
    return {"stmtinfo": {"setl_optins": data.get("setl_optins"), "stmt_rslt": "1" if differ else "0",
                         "stmt_rslt_dscr": "; ".join(differ) if differ else "对账平 (balanced)"}}


def _show(name: str, value: int) -> str:
    return str(value) if name == "count" else str(amounts.yuan(value))


async def reconcile_detail(deps: Deps, call: Call) -> dict[str, Any]:
    """3202: the period's totals compared as 3201 does, with the result rows available as a file.

    The detail file upload (9101) is not implemented: the result rows list the platform's settlements
    of the period, each marked balanced only when the period's totals agree."""
    data = call.node("data")
    ours = await _totals(deps, call, data)
    theirs = {"medfee_sumamt": amounts.fen(data.get("medfee_sumamt"), "medfee_sumamt"),
              "fund_pay_sumamt": amounts.fen(data.get("fund_pay_sumamt"), "fund_pay_sumamt"),
              "psn_cash_pay": amounts.fen(data.get("cash_payamt"), "cash_payamt"),
              "count": int(amounts.decimal(data.get("fixmedins_setl_cnt"), "fixmedins_setl_cnt", places=0))}
    balanced = all(theirs[k] == ours[k] for k in theirs)
    query_no = f"{call.msgid}"[:30]
    return {"fileinfo": {"file_qury_no": query_no, "filename": f"{query_no}-{'0' if balanced else '1'}.txt",
                         "dld_endtime": (deps.clock() + timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")}}
