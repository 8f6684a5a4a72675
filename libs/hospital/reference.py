"""The reference data a HIS would download from the platform, read from what the platform ships.

* Catalogues (目录下载): `services/settlement/catalogue/<province>0000.csv`, the treatment region's
  catalogue codes, classes and price caps. A region whose province has no file falls back to a
  small built-in list, so the simulator keeps working while catalogues are added or renamed.
* Policy packs: `services/settlement/policy_packs/<region>-<insutype>-<year>.yaml`, which
  (insured region, scheme) pairs the engine can adjudicate, and their chronic-disease codes.

Read at run time, never hard-coded, so the simulator follows the reference data as it changes.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = ROOT / "services" / "settlement" / "catalogue"
PACKS = ROOT / "services" / "settlement" / "policy_packs"
_PACK_FILE = re.compile(r"^(\d{6})-(\d{3})-(\d{4})$")


@dataclass(frozen=True)
class Item:
    """One catalogue entry: `cap_fen` is the unit price cap (None: no cap / self-pay item)."""

    med_list_codg: str
    name: str
    chrgitm_lv: str
    cap_fen: int | None
    large_equipment: bool = False
    cosmetic: bool = False
    special_drug: bool = False

    @property
    def kind(self) -> str:
        """drug (西药/中成药 X…, Z…), material (耗材 C…) or service (医疗服务项目, digits)."""
        first = self.med_list_codg[:1]
        return "drug" if first in "XZ" else "material" if first == "C" else "service"


@dataclass(frozen=True)
class Scheme:
    """A policy pack: the engine can adjudicate claims of people insured in `region` under `insutype`."""

    region: str
    insutype: str
    year: int
    chronic_diseases: tuple[str, ...] = ()


FALLBACK_ITEMS = (
    Item("002501000010000", "普通门诊诊查费", "1", 1000),
    Item("002203000010000", "血细胞分析", "1", 2000),
    Item("001102000010000", "床位费 (日)", "1", 3500),
    Item("001201000010000", "一般专项护理 (日)", "1", 2000),
    Item("XN02BEA001A001010101438", "对乙酰氨基酚片", "1", 300),
    Item("XA10BAD010A001010100593", "盐酸二甲双胍片", "1", 900),
    Item("XJ01DDA064B002010100367", "注射用头孢曲松钠", "2", 1200),
    Item("C0314020010000000001", "一次性使用输液器", "1", 500),
)
FALLBACK_SCHEMES = (Scheme("430100", "390", 2026, ("M03900", "M01600")),)


@cache
def catalogue(treatment_region: str, directory: Path = CATALOGUES) -> tuple[Item, ...]:
    """The treatment region's province catalogue, or the built-in fallback list."""
    path = directory / f"{treatment_region[:2]}0000.csv"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return FALLBACK_ITEMS
    rows = csv.DictReader(io.StringIO("\n".join(ln for ln in text.splitlines() if not ln.startswith("#"))))
    items = []
    for row in rows:
        code = (row.get("med_list_codg") or "").strip()
        if not code:
            continue
        cap = (row.get("pric_uplmt_amt") or "").strip()
        items.append(Item(code, (row.get("name") or "").strip(), (row.get("chrgitm_lv") or "1").strip(),
                          int(cap) if cap.isdigit() else None, _flag(row, "large_equipment"),
                          _flag(row, "cosmetic"), _flag(row, "special_drug")))
    return tuple(items) or FALLBACK_ITEMS


def has_catalogue(treatment_region: str, directory: Path = CATALOGUES) -> bool:
    return (directory / f"{treatment_region[:2]}0000.csv").is_file()


@cache
def schemes(directory: Path = PACKS) -> tuple[Scheme, ...]:
    """Every (region, insutype, year) a pack exists for, newest year first; the fallback if none."""
    found = []
    for path in sorted(directory.glob("*.yaml")) if directory.is_dir() else []:
        match = _PACK_FILE.match(path.stem)
        if match:
            found.append(Scheme(match[1], match[2], int(match[3]), _chronic_codes(path)))
    return tuple(sorted(found, key=lambda s: (-s.year, s.region, s.insutype))) or FALLBACK_SCHEMES


def _chronic_codes(path: Path) -> tuple[str, ...]:
    try:
        pack = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return tuple(str(d["code"]) for d in (pack.get("chronic") or {}).get("diseases") or [] if "code" in d)
    except (OSError, yaml.YAMLError, TypeError, AttributeError):
        return ()


def _flag(row: dict[str, str], name: str) -> bool:
    return (row.get(name) or "").strip() in ("1", "true", "yes")
