"""The port between the handlers and the adjudication rules.

The walking skeleton's rule: every line in scope, the pooling fund pays 70% (rounded half-up to the
fen), the patient the rest. The settlement-engine issue replaces it with policy packs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from libs.contracts import claims as c
from libs.money import format_yuan, split


class Rejected(Exception):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code, self.reason = code, reason


@dataclass(frozen=True)
class Adjudication:
    amounts: c.SettlementAmounts
    setldetail: list[c.FundDetail]
    explanation: list[str]
    accumulator_delta: dict[str, Any] = field(default_factory=dict)


class Adjudicator:
    fund_ratio = Decimal("0.70")

    def adjudicate(self, claim: c.ClaimSubmitted, coverage: dict[str, Any] | None) -> Adjudication:
        if coverage is None or not coverage.get("active"):
            raise Rejected("NOT_INSURED", f"person {claim.psn_no} is not insured on {claim.begntime.date()}")
        total = sum(line.det_item_fee_sumamt for line in claim.fee_details)
        hifp, personal = split(total, self.fund_ratio)
        amounts = c.SettlementAmounts(
            medfee_sumamt=total, fulamt_ownpay_amt=0, overlmt_selfpay=0, preselfpay_amt=0,
            inscp_scp_amt=total, act_pay_dedc=0, hifp_pay=hifp, pool_prop_selfpay=self.fund_ratio,
            fund_pay_sumamt=hifp, psn_part_amt=personal,
        )
        explanation = [f"pooling fund {format_yuan(hifp)} = {format_yuan(total)} × 70% (walking-skeleton rule)"]
        return Adjudication(amounts, [c.FundDetail(fund_pay_type="hifp", fund_payamt=hifp)], explanation)

    def postings(self, region: str, fixmedins_code: str, setldetail: list[c.FundDetail]) -> list[tuple[str, int, int]]:
        entries: list[tuple[str, int, int]] = []
        for d in setldetail:
            if d.fund_payamt:
                entries.append((f"fund:{region}:{d.fund_pay_type}:expense", d.fund_payamt, 0))
                entries.append((f"payable:{fixmedins_code}:{d.fund_pay_type}", 0, d.fund_payamt))
        return entries
