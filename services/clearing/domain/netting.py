"""Multilateral netting: every region of a scope pays or receives one net amount for a cycle.

Closing a cycle needs only the bilateral totals: for each ordered pair (insured region, treatment
region), the sum of the signed obligations between them. A store computes them with one GROUP BY;
`bilateral_totals` does the same over rows in memory.

For a region r, with s(a, b) the total of the pair (a, b):
  gross payable    = what r's insured incurred elsewhere (s(r, x) > 0), plus what others' insured
                     took back from r by late cancellations (s(x, r) < 0);
  gross receivable = the mirror of both;
  net              = gross receivable − gross payable  (positive: r receives).
Every obligation adds its amount to one region's net and takes it from another's, so the nets of a
cycle sum to zero exactly. A claim settled and cancelled in the same cycle sits in the same pair total
and cancels out there, before any gross figure is taken.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from libs.money import Fen
from services.clearing.domain.obligations import Obligation

Pair = tuple[str, str]  # (insuplc_admdvs, mdtrtarea_admvs): who owes, who is owed


@dataclass(frozen=True)
class NetPosition:
    """A region's statement for a cycle, stored as one row when the cycle closes.

    `prepayment_applied` is the part of the net payable covered by the region's prepayment; the
    rest (`cash_to_pay`) is what the region transfers. A receiving region gets `cash_to_receive`.
    """

    cycle_id: str
    admdvs: str
    gross_payable: Fen
    gross_receivable: Fen
    prepayment_applied: Fen = 0

    @property
    def net(self) -> Fen:
        return self.gross_receivable - self.gross_payable

    @property
    def net_payable(self) -> Fen:
        return max(0, -self.net)

    @property
    def cash_to_pay(self) -> Fen:
        return self.net_payable - self.prepayment_applied

    @property
    def cash_to_receive(self) -> Fen:
        return max(0, self.net)


def bilateral_totals(obligations: Iterable[Obligation]) -> dict[Pair, Fen]:
    """Signed totals per (insured region, treatment region) of the rows that move money between regions."""
    totals: dict[Pair, Fen] = {}
    for o in obligations:
        if o.between_regions:
            pair = (o.insuplc_admdvs, o.mdtrtarea_admvs)
            totals[pair] = totals.get(pair, 0) + o.amount
    return totals


def net_positions(cycle_id: str, bilateral: Mapping[Pair, Fen]) -> list[NetPosition]:
    """One position per region that appears in the cycle, sorted by region code."""
    payable: dict[str, Fen] = {}
    receivable: dict[str, Fen] = {}
    for (insured, treatment), amount in bilateral.items():
        debtor, creditor = (insured, treatment) if amount >= 0 else (treatment, insured)
        payable[debtor] = payable.get(debtor, 0) + abs(amount)
        receivable[creditor] = receivable.get(creditor, 0) + abs(amount)
    regions = sorted(set(payable) | set(receivable))
    return [
        NetPosition(cycle_id, r, gross_payable=payable.get(r, 0), gross_receivable=receivable.get(r, 0))
        for r in regions
    ]
