"""The treatment region's catalogue, read from the reference files the settlement engine publishes
(`services/settlement/catalogue/<region>.csv`: a city file, else its province's), so 2204 answers each
line with the class, ratio and cap the engine will apply."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from services.gateway.domain.line_split import CatalogueEntry

CATALOGUES = Path(__file__).resolve().parents[2] / "settlement" / "catalogue"


class FileCatalogues:
    def __init__(self, directory: Path = CATALOGUES) -> None:
        self.directory = directory

    def for_region(self, region: str) -> dict[str, CatalogueEntry] | None:
        """The catalogue for `region`, or None when the platform has none for it."""
        for name in (region, region[:2] + "0000"):
            found = _read(self.directory / f"{name}.csv")
            if found is not None:
                return found
        return None


@lru_cache(maxsize=64)
def _read(path: Path) -> dict[str, CatalogueEntry] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    rows = csv.DictReader(io.StringIO("\n".join(ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#"))))
    out = {}
    for row in rows:
        code = (row.get("med_list_codg") or "").strip()
        cap = (row.get("pric_uplmt_amt") or "").strip()
        level = (row.get("chrgitm_lv") or "3").strip()
        ratio = (row.get("selfpay_prop") or "").strip()
        out[code] = CatalogueEntry(code, level, Decimal(ratio) if ratio and level == "2" else Decimal(0),
                                   int(cap) if cap.isdigit() else None, (row.get("name") or "").strip())
    return out
