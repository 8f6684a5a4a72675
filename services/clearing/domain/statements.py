"""Statements of a cycle: per region (its counterparties) and per treatment institution.

Regions get their net as a `NetPosition` when the cycle closes; their statement adds, per
counterparty region, what the cycle's bilateral totals make it owe and be owed (the pair totals the
netting used, so the lines add up to its gross payable and gross receivable). Institutions get theirs
from the cycle's rows, grouped by institution and insured region (one GROUP BY in a store; the
`InstitutionTotal` rows). Returned items count here: they are money the treatment region owes its
institution even though no region owes another for them any more.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from libs.money import Fen
from services.clearing.domain.netting import Pair
from services.clearing.domain.obligations import Obligation


@dataclass(frozen=True)
class Counterparty:
    """What a region owes another region (`payable`) and is owed by it (`receivable`) in one cycle."""

    admdvs: str
    payable: Fen
    receivable: Fen


def region_counterparties(admdvs: str, bilateral: Mapping[Pair, Fen]) -> list[Counterparty]:
    """The region's side of every pair total it appears in, one line per other region, sorted."""
    lines: dict[str, list[Fen]] = {}
    for (insured, treatment), amount in bilateral.items():
        if admdvs not in (insured, treatment) or amount == 0:
            continue
        other = treatment if insured == admdvs else insured
        owes = (insured == admdvs) == (amount > 0)  # an insured region owes a positive total
        lines.setdefault(other, [0, 0])[0 if owes else 1] += abs(amount)
    return [Counterparty(other, payable, receivable) for other, (payable, receivable) in sorted(lines.items())]


@dataclass(frozen=True)
class InstitutionTotal:
    """What one institution is owed in one cycle for one insured region's patients."""

    cycle_id: str
    fixmedins_code: str
    mdtrtarea_admvs: str
    insuplc_admdvs: str
    amount: Fen


@dataclass(frozen=True)
class InstitutionStatement:
    """What one institution is owed in one cycle, in total and per insured region (negative: it owes back)."""

    cycle_id: str
    fixmedins_code: str
    mdtrtarea_admvs: str
    owed: Fen
    by_insured_region: tuple[tuple[str, Fen], ...]


def institution_totals(obligations: Iterable[Obligation]) -> list[InstitutionTotal]:
    sums: dict[tuple[str, str, str, str], Fen] = {}
    for o in obligations:
        key = (o.cycle_id, o.fixmedins_code, o.mdtrtarea_admvs, o.insuplc_admdvs)
        sums[key] = sums.get(key, 0) + o.amount
    return [InstitutionTotal(*key, amount) for key, amount in sorted(sums.items())]


def institution_statements(totals: Iterable[InstitutionTotal]) -> list[InstitutionStatement]:
    grouped: dict[tuple[str, str, str], list[tuple[str, Fen]]] = {}
    for t in totals:
        grouped.setdefault((t.cycle_id, t.fixmedins_code, t.mdtrtarea_admvs), []).append(
            (t.insuplc_admdvs, t.amount)
        )
    return [
        InstitutionStatement(*key, owed=sum(a for _, a in regions), by_insured_region=tuple(sorted(regions)))
        for key, regions in sorted(grouped.items())
    ]
