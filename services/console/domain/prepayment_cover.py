"""Prepayment cover (预付金覆盖) on the clearing desk: how much of what each region owes in a cycle its
prepayment with the platform covers, and what it must still pay in cash (docs/clearing.md: a region
with a net payable uses its prepayment first; a receiving region's prepayment is not touched).

While a cycle is open, what a region owes so far is the signed sum of the bilateral totals where it is
the insured region, less those where it is the treatment region, against its prepayment balance now.
Once closed, clearing's net positions say what was applied and what is paid in cash.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Cover:
    admdvs: str
    net_payable: int  # fen the region owes in the cycle (0: it receives, or owes nothing)
    covered: int  # fen of it its prepayment covers (applied, once the cycle closed)
    shortfall: int  # fen left to pay in cash

    @property
    def status(self) -> str:
        if not self.net_payable:
            return "nothing_owed"
        return "short" if self.shortfall else "covered"

    def view(self) -> dict[str, Any]:
        return {"admdvs": self.admdvs, "net_payable": self.net_payable, "covered": self.covered,
                "shortfall": self.shortfall, "status": self.status}


def open_cycle_cover(bilateral: Iterable[Mapping[str, Any]], balances: Mapping[str, int]) -> list[Cover]:
    """`bilateral`: clearing's pair totals (insuplc_admdvs owes mdtrtarea_admvs `amount`, signed)."""
    owed: dict[str, int] = dict.fromkeys(balances, 0)
    for pair in bilateral:
        owed[pair["insuplc_admdvs"]] = owed.get(pair["insuplc_admdvs"], 0) + pair["amount"]
        owed[pair["mdtrtarea_admvs"]] = owed.get(pair["mdtrtarea_admvs"], 0) - pair["amount"]
    covers = []
    for region, amount in sorted(owed.items()):
        payable = max(0, amount)
        covered = min(payable, max(0, balances.get(region, 0)))
        covers.append(Cover(region, payable, covered, payable - covered))
    return covers


def closed_cycle_cover(positions: Iterable[Mapping[str, Any]]) -> list[Cover]:
    """`positions`: clearing's net positions of the closed cycle (RegionNetPosition)."""
    return [Cover(p["admdvs"], max(0, -p["net"]), p["prepayment_applied"], p["cash_to_pay"])
            for p in sorted(positions, key=lambda p: p["admdvs"])]
