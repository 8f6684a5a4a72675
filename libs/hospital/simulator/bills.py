"""Realistic fee lines for each kind of visit, from the treatment region's catalogue.

Prices sit a little under the catalogue's cap, now and then above it (超限价); a few lines are
self-pay items (丙类); pharmacy and inpatient bills sometimes carry a refund line (negative count,
`init_feedetl_sn`) for a returned box. Amounts are yuan Decimals, as a HIS holds them.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from libs.hospital import reference
from libs.hospital.reference import Item
from libs.money import fen_to_yuan

CENT = Decimal("0.01")
_CATEGORIES = {
    "consult": r"诊查", "lab": r"血细胞|检验|化验|血常规", "bed": r"床位", "nursing": r"护理", "anaesthesia": r"麻醉",
    "delivery": r"分娩 \(|顺产|剖宫产", "labour_analgesia": r"分娩镇痛", "prenatal": r"产前", "dialysis": r"透析",
    "surgery": r"切除术|固定|置入|缝合",
}


@dataclass(frozen=True)
class Shelf:
    """A region's catalogue, sorted into what each kind of visit draws from."""

    drugs: tuple[Item, ...]
    self_pay: tuple[Item, ...]
    special_drugs: tuple[Item, ...]
    materials: tuple[Item, ...]
    imaging: tuple[Item, ...]
    by_category: dict[str, tuple[Item, ...]]

    def pick(self, rng: random.Random, category: str) -> Item | None:
        items = self.by_category.get(category) or ()
        return rng.choice(items) if items else None


@cache
def shelf(region: str) -> Shelf:
    items = reference.catalogue(region)
    usable = [i for i in items if not i.cosmetic]
    services = [i for i in items if i.kind == "service" and not i.cosmetic]
    by_category = {name: tuple(i for i in services if re.search(pattern, i.name)) for name, pattern in _CATEGORIES.items()}
    services = [i for i in services if i.chrgitm_lv != "3" and not i.large_equipment]
    for name in ("consult", "lab", "bed", "nursing"):
        by_category[name] = by_category[name] or tuple(services[:1])
    return Shelf(
        drugs=tuple(i for i in usable if i.kind == "drug" and not i.special_drug and i.chrgitm_lv != "3") or tuple(usable),
        self_pay=tuple(i for i in items if i.chrgitm_lv == "3"),
        special_drugs=tuple(i for i in usable if i.special_drug),
        materials=tuple(i for i in usable if i.kind == "material" and i.chrgitm_lv != "3"),
        imaging=tuple(i for i in usable if i.large_equipment),
        by_category=by_category,
    )


class Bill:
    """Fee lines being written for one visit, numbered as a HIS numbers them."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.lines: list[dict[str, Any]] = []

    def add(self, item: Item | None, cnt: int | Decimal, *, over_cap: float = 0.04) -> dict[str, Any] | None:
        if item is None:
            return None
        line = {"feedetl_sn": str(len(self.lines) + 1), "med_list_codg": item.med_list_codg,
                "cnt": Decimal(cnt), "pric": self._price(item, over_cap)}
        self.lines.append(line)
        return line

    def refund(self, line: dict[str, Any] | None, cnt: int = 1) -> None:
        """Return `cnt` of what `line` charged (the patient brought a box back)."""
        if line is None or line["cnt"] <= cnt:
            return
        self.lines.append({"feedetl_sn": str(len(self.lines) + 1), "init_feedetl_sn": line["feedetl_sn"],
                           "med_list_codg": line["med_list_codg"], "cnt": Decimal(-cnt), "pric": line["pric"]})

    def _price(self, item: Item, over_cap: float) -> Decimal:
        if item.cap_fen is None:  # self-pay item: the hospital's own price
            return Decimal(self.rng.randint(2000, 80000)) / 100 if item.chrgitm_lv == "3" else Decimal("50.00")
        factor = 1.1 if self.rng.random() < over_cap else self.rng.uniform(0.7, 1.0)
        return max(CENT, (fen_to_yuan(int(item.cap_fen * factor))).quantize(CENT))


def outpatient(rng: random.Random, s: Shelf, *, emergency: bool = False) -> list[dict[str, Any]]:
    b = Bill(rng)
    b.add(s.pick(rng, "consult"), 1)
    if emergency or rng.random() < 0.4:
        b.add(s.pick(rng, "lab"), 1)
    if rng.random() < (0.15 if emergency else 0.04) and s.imaging:
        b.add(rng.choice(s.imaging), 1)
    for _ in range(rng.randint(1, 3)):
        b.add(rng.choice(s.drugs), rng.randint(1, 3))
    if emergency and s.materials:
        b.add(rng.choice(s.materials), rng.randint(1, 3))
    if rng.random() < 0.05 and s.self_pay:
        b.add(rng.choice(s.self_pay), 1)
    return b.lines


def pharmacy(rng: random.Random, s: Shelf) -> list[dict[str, Any]]:
    b = Bill(rng)
    first = b.add(rng.choice(s.drugs), rng.randint(2, 5))
    for _ in range(rng.randint(0, 2)):
        b.add(rng.choice(s.drugs), rng.randint(1, 3))
    if rng.random() < 0.1 and s.self_pay:
        b.add(rng.choice(s.self_pay), 1)
    if rng.random() < 0.06:
        b.refund(first)
    return b.lines


def chronic(rng: random.Random, s: Shelf, disease: str) -> list[dict[str, Any]]:
    b = Bill(rng)
    b.add(s.pick(rng, "consult"), 1)
    if disease == "M07800":  # dialysis patients: a month's sessions
        b.add(s.pick(rng, "dialysis"), rng.randint(8, 13))
    for _ in range(rng.randint(1, 2)):
        b.add(rng.choice(s.drugs), rng.randint(2, 6))  # a month's supply
    return b.lines


def special_drug(rng: random.Random, s: Shelf, fixed: Any = None) -> list[dict[str, Any]]:
    """The designated drug (`fixed.med_list_codg`) when the patient has one, else any special drug."""
    chosen = next((i for i in s.special_drugs if fixed and i.med_list_codg == fixed.med_list_codg), None)
    b = Bill(rng)
    b.add(chosen or (rng.choice(s.special_drugs) if s.special_drugs else rng.choice(s.drugs)), 1, over_cap=0)
    return b.lines


def inpatient(rng: random.Random, s: Shelf, days: int) -> list[dict[str, Any]]:
    b = Bill(rng)
    b.add(s.pick(rng, "bed"), days, over_cap=0.02)
    b.add(s.pick(rng, "nursing"), days)
    for _ in range(rng.randint(1, 3)):
        b.add(s.pick(rng, "lab"), 1)
    if rng.random() < 0.3 and s.imaging:
        b.add(rng.choice(s.imaging), 1)
    if rng.random() < 0.35:
        b.add(s.pick(rng, "surgery"), 1)
        b.add(s.pick(rng, "anaesthesia"), 1)
        if s.materials:
            b.add(rng.choice(s.materials), 1)
    returned = None
    for _ in range(rng.randint(2, 6)):
        returned = b.add(rng.choice(s.drugs), rng.randint(2, 4 * days))
    if rng.random() < 0.1:
        b.refund(returned)
    if rng.random() < 0.1 and s.self_pay:
        b.add(rng.choice(s.self_pay), 1)
    return b.lines


def prenatal(rng: random.Random, s: Shelf) -> list[dict[str, Any]]:
    b = Bill(rng)
    b.add(s.pick(rng, "prenatal"), 1)
    b.add(s.pick(rng, "lab"), 1)
    return b.lines


def delivery(rng: random.Random, s: Shelf, days: int) -> list[dict[str, Any]]:
    b = Bill(rng)
    b.add(s.pick(rng, "delivery"), 1)
    b.add(s.pick(rng, "bed"), days)
    b.add(s.pick(rng, "nursing"), days)
    if rng.random() < 0.3:
        b.add(s.pick(rng, "labour_analgesia") or s.pick(rng, "anaesthesia"), 1)
    b.add(rng.choice(s.drugs), rng.randint(1, 4))
    return b.lines
