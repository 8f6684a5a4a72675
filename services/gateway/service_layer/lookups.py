"""Sign-in (9001), the person (1101) and accumulators (5206)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from services.gateway.adapters.platform_http import PlatformUnavailable
from services.gateway.domain import amounts
from services.gateway.domain.errors import InvalidInput, Refusal
from services.gateway.service_layer.call import Call, text
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
