"""Obligations: what one pooling region owes another for one fund of one claim.

An obligation row reads: the insured region (`insuplc_admdvs`) owes the treatment region
(`mdtrtarea_admvs`) `amount` fen from fund `fund_pay_type`, for claim `setl_id` settled by
`fixmedins_code`. A settlement creates positive rows; its cancellation the same rows negated, the
opposite obligation (the treatment region now owes the insured region).

A third kind, `returned`, is an item a treatment institution rolled back out of a closed cycle (see
`confirmation.py`): it is money the treatment region still owes its institution, but not money
between regions, which settled the item in its original cycle.

Rows are never changed; a correction is a new row. Ids are deterministic so that a redelivered fact,
or a retried transaction, writes the same keys and the store's unique index refuses a second copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from libs.money import Fen
from services.clearing.domain.errors import CancellationMismatch, ConflictingRedelivery
from services.clearing.domain.facts import SIGN, ClaimFact, FundAmounts

ObligationKind = Literal["settled", "cancelled", "returned"]


@dataclass(frozen=True)
class Obligation:
    """One row of a cycle's detail; `amount` is signed, positive when the insured region owes."""

    obligation_id: str
    cycle_id: str
    kind: ObligationKind
    setl_id: str
    claim_id: str
    fixmedins_code: str
    insuplc_admdvs: str
    mdtrtarea_admvs: str
    fund_pay_type: str
    amount: Fen
    occurred_at: datetime
    arrived_at: datetime
    origin_cycle_id: str | None = None

    @property
    def between_regions(self) -> bool:
        """Whether this row moves money between regions (every kind but `returned`)."""
        return self.kind != "returned"

    @property
    def is_adjustment(self) -> bool:
        """A row that corrects an earlier, closed cycle: a late cancellation or a returned item."""
        return self.origin_cycle_id is not None and self.origin_cycle_id != self.cycle_id


def obligations_for(
    fact: ClaimFact, cycle_id: str, arrived_at: datetime, origin_cycle_id: str | None = None,
) -> list[Obligation]:
    """One row per fund the fact names; none for a claim no fund paid."""
    sign = SIGN[fact.kind]
    return [
        Obligation(
            obligation_id=f"{fact.setl_id}/{fact.kind}/{fund_pay_type}", cycle_id=cycle_id,
            kind=fact.kind, setl_id=fact.setl_id, claim_id=fact.claim_id,
            fixmedins_code=fact.fixmedins_code, insuplc_admdvs=fact.insuplc_admdvs,
            mdtrtarea_admvs=fact.mdtrtarea_admvs, fund_pay_type=fund_pay_type, amount=sign * amount,
            occurred_at=fact.occurred_at, arrived_at=arrived_at, origin_cycle_id=origin_cycle_id,
        )
        for fund_pay_type, amount in fact.funds
    ]


def already_applied(fact: ClaimFact, claim_history: Sequence[Obligation]) -> bool:
    """True when clearing holds this fact already (a redelivery); refuses one that says otherwise."""
    held = [o for o in claim_history if o.setl_id == fact.setl_id and o.kind == fact.kind]
    if not held:
        return False
    if _rows_signature(held) != _fact_signature(fact):
        raise ConflictingRedelivery(
            f"Settlement {fact.setl_id} was already {fact.kind} with other regions, institution or fund amounts; "
            "clearing keeps the first and parks this one."
        )
    return True


def check_mirrors_counterpart(fact: ClaimFact, claim_history: Sequence[Obligation]) -> None:
    """A cancellation takes back exactly what its settlement paid, fund by fund (and vice versa)."""
    other = "cancelled" if fact.kind == "settled" else "settled"
    held = [o for o in claim_history if o.setl_id == fact.setl_id and o.kind == other]
    if held and _rows_signature(held) != _fact_signature(fact):
        raise CancellationMismatch(
            f"The cancellation of settlement {fact.setl_id} does not take back exactly what was settled "
            "(regions, institution and every fund amount must match)."
        )


def origin_cycle_of(fact: ClaimFact, claim_history: Sequence[Obligation]) -> str | None:
    """For a cancellation, the cycle its settlement landed in (None if clearing never saw it)."""
    if fact.kind != "cancelled":
        return None
    return next(
        (o.cycle_id for o in claim_history if o.setl_id == fact.setl_id and o.kind == "settled"), None,
    )


# What a redelivery must repeat: claim, institution, both regions and the amount of every fund.
_Signature = tuple[str, str, str, str, FundAmounts]


def _rows_signature(rows: Sequence[Obligation]) -> _Signature:
    first = rows[0]
    funds = tuple(sorted((o.fund_pay_type, abs(o.amount)) for o in rows))
    return (first.claim_id, first.fixmedins_code, first.insuplc_admdvs, first.mdtrtarea_admvs, funds)


def _fact_signature(fact: ClaimFact) -> _Signature:
    return (fact.claim_id, fact.fixmedins_code, fact.insuplc_admdvs, fact.mdtrtarea_admvs, fact.funds)
