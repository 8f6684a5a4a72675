"""Reference data the console reads from the repository (files, not another service's database)."""

from __future__ import annotations

import csv
from pathlib import Path

CATALOGUES = Path(__file__).resolve().parents[2] / "settlement" / "catalogue"


def large_equipment_codes(folder: Path = CATALOGUES) -> frozenset[str]:
    """Catalogue codes flagged `large_equipment` in any shipped provincial catalogue (CT, MRI, PET-CT)."""
    codes: set[str] = set()
    for path in sorted(folder.glob("*.csv")):
        lines = (line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#"))
        for row in csv.DictReader(lines):
            if (row.get("large_equipment") or "").strip() in ("1", "true", "yes"):
                codes.add(row["med_list_codg"])
    return frozenset(codes)
