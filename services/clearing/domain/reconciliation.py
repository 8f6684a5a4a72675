"""Reconcile a cycle against the settlement engine's records (3201 totals, 3202 detail).

Both sides are reduced to signed amounts per (setl_id, kind, fund): a settlement counts positive, a
cancellation negative. The settlement engine may hand over all its records for the period: local
claims, claims of other scopes and claims no fund paid are left out, since clearing holds none of
them. Returned rows are left out too: they are not settlement facts.

A cycle may hold millions of rows, so the comparison never needs either side whole: `Reconciliation`
is fed the two sides joined one (setl_id, kind, fund) at a time, in that key's order, and keeps only
running totals; each mismatch it finds is handed back to be written at once (docs/clearing.md,
Reconciliation). `reconcile` does the same over two sides held in memory, for the fakes and the tests.

Because obligations land in cycles by arrival, a claim settled just before the period's end that
arrived after the close shows here as missing in clearing; the next cycle's report shows it as
missing in settlement. Read the two together before chasing it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, NamedTuple

from libs.money import Fen
from services.clearing.domain.cycle import ClearingCycle
from services.clearing.domain.facts import SIGN, ClaimFact, FactKind
from services.clearing.domain.obligations import Obligation

MismatchKind = Literal["missing_in_clearing", "missing_in_settlement", "amount_differs"]
_Key = tuple[str, FactKind, str]  # (setl_id, kind, fund_pay_type)


class SettlementRow(NamedTuple):
    """One fund of one settlement-engine record, signed: what clearing stages to compare against."""

    setl_id: str
    kind: FactKind
    fund_pay_type: str
    amount: Fen


class Compared(NamedTuple):
    """One fund of one fact with both sides' signed sums (None: that side has no such row)."""

    setl_id: str
    kind: FactKind
    fund_pay_type: str
    clearing_amount: Fen | None
    settlement_amount: Fen | None


@dataclass(frozen=True)
class Mismatch:
    """One fund of one fact where the two sides disagree; amounts are signed fen (0 when absent)."""

    kind: MismatchKind
    setl_id: str
    fact_kind: FactKind
    fund_pay_type: str
    clearing_amount: Fen
    settlement_amount: Fen

    @property
    def key(self) -> _Key:
        return (self.setl_id, self.fact_kind, self.fund_pay_type)


@dataclass(frozen=True)
class ReconciliationReport:
    """3201: the two sides' fund totals and fact counts, and how many mismatches of each kind the
    3202 detail lists (the detail itself is stored and read a page at a time)."""

    cycle_id: str
    clearing_fund_pay_sumamt: Fen
    settlement_fund_pay_sumamt: Fen
    clearing_setl_cnt: int
    settlement_setl_cnt: int
    missing_in_clearing: int = 0
    missing_in_settlement: int = 0
    amount_differs: int = 0

    @property
    def mismatch_count(self) -> int:
        return self.missing_in_clearing + self.missing_in_settlement + self.amount_differs

    @property
    def totals_match(self) -> bool:
        return (
            self.clearing_fund_pay_sumamt == self.settlement_fund_pay_sumamt
            and self.clearing_setl_cnt == self.settlement_setl_cnt
        )

    @property
    def balanced(self) -> bool:
        """Totals match and no detail differs (offsetting errors can make totals match alone)."""
        return self.totals_match and not self.mismatch_count


class Reconciliation:
    """The comparison of one cycle, fed in key order; it remembers totals, never rows."""

    def __init__(self, cycle_id: str) -> None:
        self.cycle_id = cycle_id
        self._sums = [0, 0]  # clearing, settlement
        self._counts = [0, 0]
        self._last_fact: list[tuple[str, str] | None] = [None, None]
        self._kinds = {"missing_in_clearing": 0, "missing_in_settlement": 0, "amount_differs": 0}

    def compare(self, row: Compared) -> Mismatch | None:
        for side, amount in enumerate((row.clearing_amount, row.settlement_amount)):
            if amount is not None:
                self._sums[side] += amount
                if self._last_fact[side] != (row.setl_id, row.kind):  # the rows of a fact are adjacent
                    self._last_fact[side] = (row.setl_id, row.kind)
                    self._counts[side] += 1
        ours, theirs = row.clearing_amount, row.settlement_amount
        if ours == theirs:
            return None
        kind: MismatchKind = (
            "missing_in_clearing" if ours is None
            else "missing_in_settlement" if theirs is None
            else "amount_differs"
        )
        self._kinds[kind] += 1
        return Mismatch(kind, row.setl_id, row.kind, row.fund_pay_type, ours or 0, theirs or 0)

    def report(self) -> ReconciliationReport:
        return ReconciliationReport(
            self.cycle_id, self._sums[0], self._sums[1], self._counts[0], self._counts[1],
            self._kinds["missing_in_clearing"], self._kinds["missing_in_settlement"], self._kinds["amount_differs"],
        )


def settlement_rows(cycle: ClearingCycle, records: Iterable[ClaimFact]) -> list[SettlementRow]:
    """The records of the cycle's scope, one signed row per fund (others are not clearing's)."""
    return [
        SettlementRow(r.setl_id, r.kind, fund_pay_type, SIGN[r.kind] * amount)
        for r in records if r.scope is not None and r.scope.key == cycle.scope_key
        for fund_pay_type, amount in r.funds
    ]


def clearing_sums(cycle: ClearingCycle, obligations: Iterable[Obligation]) -> dict[_Key, Fen]:
    """Clearing's side: the cycle's settled and cancelled rows summed per (setl_id, kind, fund)."""
    sums: dict[_Key, Fen] = {}
    for o in obligations:
        if o.cycle_id == cycle.cycle_id and o.kind != "returned":  # `between_regions`, spelt so the kind narrows
            key = (o.setl_id, o.kind, o.fund_pay_type)
            sums[key] = sums.get(key, 0) + o.amount
    return sums


def settlement_sums(rows: Iterable[SettlementRow]) -> dict[_Key, Fen]:
    sums: dict[_Key, Fen] = {}
    for r in rows:
        key = (r.setl_id, r.kind, r.fund_pay_type)
        sums[key] = sums.get(key, 0) + r.amount
    return sums


def joined(clearing: dict[_Key, Fen], settlement: dict[_Key, Fen]) -> list[Compared]:
    """The two sides' sums side by side, in key order (what the store's join answers in chunks)."""
    return [Compared(*key, clearing.get(key), settlement.get(key)) for key in sorted(clearing.keys() | settlement.keys())]


def reconcile(
    cycle: ClearingCycle, obligations: Iterable[Obligation], records: Iterable[ClaimFact],
) -> tuple[ReconciliationReport, list[Mismatch]]:
    """The whole comparison over two sides held in memory: the report and every mismatch, by key."""
    reconciliation = Reconciliation(cycle.cycle_id)
    compared = joined(clearing_sums(cycle, obligations), settlement_sums(settlement_rows(cycle, records)))
    mismatches = [m for row in compared if (m := reconciliation.compare(row)) is not None]
    return reconciliation.report(), mismatches
