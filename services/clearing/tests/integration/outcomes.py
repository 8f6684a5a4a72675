"""Outcomes as the settlement engine publishes them on `claims.outcomes`, and as it lists them for reconciliation."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from libs.contracts.claims import ClaimCancelled, ClaimSettled, FundDetail, SettlementAmounts
from services.clearing.domain import CHINA_TIME

PATIENT_SHARE = 1_000


def settled(setl_id: str, *, insured: str, treated: str, hospital: str, funds: dict[str, int]) -> ClaimSettled:
    total = sum(funds.values())
    amounts = SettlementAmounts(
        medfee_sumamt=total + PATIENT_SHARE, fulamt_ownpay_amt=0, overlmt_selfpay=0, preselfpay_amt=0,
        inscp_scp_amt=total + PATIENT_SHARE, act_pay_dedc=0, hifp_pay=funds.get("hifp", 0),
        pool_prop_selfpay=Decimal("0.7"), hifmi_pay=funds.get("hifmi", 0), fund_pay_sumamt=total,
        psn_part_amt=PATIENT_SHARE,
    )
    return ClaimSettled(
        claim_id=f"C-{setl_id}", fixmedins_code=hospital, psn_no=f"P-{setl_id}", setl_id=setl_id, insutype="390",
        med_type="21", insuplc_admdvs=insured, mdtrtarea_admvs=treated, setl_time=datetime.now(CHINA_TIME),
        amounts=amounts, acct_pay=0, acct_mulaid_pay=0, psn_cash_pay=PATIENT_SHARE, balc=0,
        setldetail=[FundDetail(fund_pay_type=fund, fund_payamt=amount) for fund, amount in funds.items()],
    )


def cancelled(original: ClaimSettled) -> ClaimCancelled:
    return ClaimCancelled(
        claim_id=original.claim_id, fixmedins_code=original.fixmedins_code, psn_no=original.psn_no,
        cancel_id=f"X-{original.setl_id}", setl_id=original.setl_id, insuplc_admdvs=original.insuplc_admdvs,
        mdtrtarea_admvs=original.mdtrtarea_admvs, cancel_time=datetime.now(CHINA_TIME), amounts=original.amounts,
        setldetail=original.setldetail, acct_pay=0, acct_mulaid_pay=0, psn_cash_pay=PATIENT_SHARE,
    )


def settlement_record(outcome: ClaimSettled | ClaimCancelled) -> dict[str, Any]:
    """The item `GET /v1/settlements` lists for this outcome."""
    is_settled = isinstance(outcome, ClaimSettled)
    occurred_at = outcome.setl_time if isinstance(outcome, ClaimSettled) else outcome.cancel_time
    return {
        "setl_id": outcome.setl_id, "claim_id": outcome.claim_id, "kind": "settled" if is_settled else "cancelled",
        "fixmedins_code": outcome.fixmedins_code, "insuplc_admdvs": outcome.insuplc_admdvs,
        "mdtrtarea_admvs": outcome.mdtrtarea_admvs,
        "occurred_at": occurred_at.isoformat(),
        "funds": {d.fund_pay_type: d.fund_payamt for d in outcome.setldetail},
        "fund_pay_sumamt": outcome.amounts.fund_pay_sumamt,
    }
