"""Manual reimbursement (零星报销): what makes a bill paid in full claimable at the office.

The bill itself is adjudicated as any claim (`adjudicate`, with `Claim.manual`); these guards come
first and refuse what an office must not reimburse: a visit the funds already paid directly, a bill
brought after the pack's time limit, receipts already reimbursed or not matching the bill.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

from libs.money import Fen, format_yuan
from services.settlement.domain.claim import Claim
from services.settlement.domain.errors import ClaimRefused, ReasonCode
from services.settlement.domain.policy_pack import PolicyPack


@dataclass(frozen=True)
class Receipt:
    receipt_no: str
    amount: Fen


def reimbursement_claim_id(region: str, office_ref: str) -> str:
    """The claim id of an office's reimbursement: its reference is unique within its region."""
    return f"MR-{region}-{office_ref}"


def check_reimbursable(claim: Claim, pack: PolicyPack, *, received_on: date, care_ended: date,
                       receipts: Sequence[Receipt], settled_directly: str | None,
                       reimbursed_receipts: Collection[str]) -> None:
    if settled_directly is not None:
        raise ClaimRefused(
            ReasonCode.ALREADY_SETTLED_DIRECTLY,
            f"the visit of {claim.service_date.isoformat()} at {claim.fixmedins_code} was already settled directly "
            f"(settlement {settled_directly}); the funds paid their part there",
        )
    limit = pack.reimbursement_time_limit_days
    if limit is not None and (received_on - care_ended).days > limit:
        raise ClaimRefused(
            ReasonCode.OUTSIDE_TIME_LIMIT,
            f"care ended on {care_ended.isoformat()}, {(received_on - care_ended).days} days before the claim was "
            f"received on {received_on.isoformat()}; pack {pack.id} reimburses within {limit} days",
        )
    reused = sorted({r.receipt_no for r in receipts} & set(reimbursed_receipts))
    if reused:
        raise ClaimRefused(ReasonCode.RECEIPT_ALREADY_REIMBURSED,
                           f"receipt {reused[0]} was already reimbursed; a receipt is reimbursed once")
    numbers = [r.receipt_no for r in receipts]
    if len(set(numbers)) != len(numbers):
        raise ClaimRefused(ReasonCode.INVALID_CLAIM, "a receipt is listed twice")
    total, on_receipts = sum(line.det_item_fee_sumamt for line in claim.fee_details), sum(r.amount for r in receipts)
    if total != on_receipts:
        raise ClaimRefused(
            ReasonCode.INVALID_CLAIM,
            f"the receipts add up to {format_yuan(on_receipts)} yuan but the fee lines to {format_yuan(total)}; "
            "enter every line of every receipt",
        )


def check_not_reimbursed(claim: Claim, reimbursed_by: str | None) -> None:
    """A direct settlement of a visit an office already reimbursed (the mirror of ALREADY_SETTLED_DIRECTLY):
    the funds paid their part to the patient; the office must withdraw that reimbursement first."""
    if reimbursed_by is not None:
        raise ClaimRefused(
            ReasonCode.ALREADY_REIMBURSED,
            f"the visit of {claim.service_date.isoformat()} at {claim.fixmedins_code} was already reimbursed to the "
            f"patient by the insured region's office (reference {reimbursed_by}); the funds paid their part there. "
            "Settle it as a self-paid visit, or ask the office to withdraw the reimbursement first",
        )
