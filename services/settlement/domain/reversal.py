"""Cancelling a settlement (2208 / 2305 / 2601): take back exactly what it did.

Nothing is recomputed: the settlement's own delta is negated and its postings mirrored, so a
cancellation restores every accumulator and fund balance to the fen even if later claims were
settled in between (those keep the amounts they were settled with).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from services.settlement.domain.accumulators import AccumulatorDelta
from services.settlement.domain.ledger import Posting, contra, fund_postings
from services.settlement.domain.settlement import Amounts, FundPayment, Settlement


@dataclass(frozen=True)
class Reversal:
    claim_id: str
    delta: AccumulatorDelta  # apply it to the accumulators to undo the settlement
    postings: tuple[Posting, ...]  # the contra postings
    amounts: Amounts  # the reversed settlement's amounts, positive (they are taken back)
    fund_payments: tuple[FundPayment, ...]
    traceability_codes_released: tuple[str, ...]


def take_back(delta: AccumulatorDelta, postings: Iterable[Posting]) -> tuple[AccumulatorDelta, tuple[Posting, ...]]:
    """What undoes a settlement that moved the accumulators by `delta` and posted `postings`: the
    negated delta and the contra entries. The one definition: `reverse` uses it for an adjudicated
    settlement, the stored claim (`SettlementClaim`) when it is cancelled or voided."""
    return delta.negated(), contra(postings)


def reverse(settlement: Settlement) -> Reversal:
    delta, postings = take_back(settlement.delta, fund_postings(settlement))
    return Reversal(
        claim_id=settlement.claim_id,
        delta=delta,
        postings=postings,
        amounts=settlement.amounts,
        fund_payments=settlement.fund_payments,
        traceability_codes_released=settlement.traceability_codes,
    )
