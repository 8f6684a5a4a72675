"""Reconcile a cycle against the settlement engine's records (3201 totals, 3202 detail).

Both sides are reduced to signed amounts per (setl_id, kind, fund): a settlement counts positive, a
cancellation negative. The settlement engine may hand over all its records for the period: local
claims, claims of other scopes and claims no fund paid are left out, since clearing holds none of
them. Returned rows are left out too: they are not settlement facts.

Because obligations land in cycles by arrival, a claim settled just before the period's end that
arrived after the close shows here as missing in clearing; the next cycle's report shows it as
missing in settlement. Read the two together before chasing it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from libs.money import Fen
from services.clearing.domain.cycle import ClearingCycle
from services.clearing.domain.facts import SIGN, ClaimFact, FactKind
from services.clearing.domain.obligations import Obligation

MismatchKind = Literal["missing_in_clearing", "missing_in_settlement", "amount_differs"]
_Key = tuple[str, FactKind, str]  # (setl_id, kind, fund_pay_type)


@dataclass(frozen=True)
class Mismatch:
    """One fund of one fact where the two sides disagree; amounts are signed fen (0 when absent)."""

    kind: MismatchKind
    setl_id: str
    fact_kind: FactKind
    fund_pay_type: str
    clearing_amount: Fen
    settlement_amount: Fen


@dataclass(frozen=True)
class ReconciliationReport:
    """3201: the two sides' fund totals and fact counts; 3202: every mismatch, sorted by setl_id."""

    cycle_id: str
    clearing_fund_pay_sumamt: Fen
    settlement_fund_pay_sumamt: Fen
    clearing_setl_cnt: int
    settlement_setl_cnt: int
    mismatches: tuple[Mismatch, ...]

    @property
    def totals_match(self) -> bool:
        return (
            self.clearing_fund_pay_sumamt == self.settlement_fund_pay_sumamt
            and self.clearing_setl_cnt == self.settlement_setl_cnt
        )

    @property
    def balanced(self) -> bool:
        """Totals match and no detail differs (offsetting errors can make totals match alone)."""
        return self.totals_match and not self.mismatches


def reconcile(
    cycle: ClearingCycle, obligations: Iterable[Obligation], records: Iterable[ClaimFact],
) -> ReconciliationReport:
    clearing: dict[_Key, Fen] = {}
    for o in obligations:
        if o.cycle_id == cycle.cycle_id and o.kind != "returned":  # `between_regions`, spelt so the kind narrows
            key = (o.setl_id, o.kind, o.fund_pay_type)
            clearing[key] = clearing.get(key, 0) + o.amount
    settlement: dict[_Key, Fen] = {}
    for r in records:
        scope = r.scope
        if scope is None or scope.key != cycle.scope_key:
            continue
        for fund_pay_type, amount in r.funds:
            key = (r.setl_id, r.kind, fund_pay_type)
            settlement[key] = settlement.get(key, 0) + SIGN[r.kind] * amount
    return ReconciliationReport(
        cycle_id=cycle.cycle_id,
        clearing_fund_pay_sumamt=sum(clearing.values()),
        settlement_fund_pay_sumamt=sum(settlement.values()),
        clearing_setl_cnt=len({key[:2] for key in clearing}),
        settlement_setl_cnt=len({key[:2] for key in settlement}),
        mismatches=tuple(_mismatches(clearing, settlement)),
    )


def _mismatches(clearing: dict[_Key, Fen], settlement: dict[_Key, Fen]) -> Iterable[Mismatch]:
    for key in sorted(set(clearing) | set(settlement)):
        ours, theirs = clearing.get(key), settlement.get(key)
        if ours == theirs:
            continue
        kind: MismatchKind = (
            "missing_in_clearing" if ours is None
            else "missing_in_settlement" if theirs is None
            else "amount_differs"
        )
        setl_id, fact_kind, fund_pay_type = key
        yield Mismatch(kind, setl_id, fact_kind, fund_pay_type, ours or 0, theirs or 0)
