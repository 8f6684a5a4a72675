"""The treatment region's catalogue (医保目录): what each code is, its class and its limits.

Catalogues are CSV files named by region code (`430000.csv` for all of Hunan); a city file such as
`430100.csv` would take precedence over its province's. Lines starting with `#` are comments.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from libs.money import Fen
from services.settlement.domain.errors import NoCatalogue, ReferenceDataError

COLUMNS = (
    "med_list_codg", "name", "chrgitm_lv", "selfpay_prop", "pric_uplmt_amt",
    "large_equipment", "cosmetic", "special_drug",
)
CLASS_A, CLASS_B, SELF_PAY = "1", "2", "3"  # 甲类, 乙类, 自费 (丙类)


@dataclass(frozen=True)
class CatalogueItem:
    med_list_codg: str
    name: str
    chrgitm_lv: str
    selfpay_prop: Decimal  # 乙类 only: the share the patient pays first (先行自付)
    pric_uplmt_amt: Fen | None  # price cap per unit, in fen
    large_equipment: bool  # CT, MRI, PET-CT…: a repeat within the pack's window is not paid
    cosmetic: bool
    special_drug: bool  # dual-channel negotiated drug (双通道)


@dataclass(frozen=True)
class Catalogue:
    region: str
    items: Mapping[str, CatalogueItem]

    def get(self, med_list_codg: str) -> CatalogueItem | None:
        return self.items.get(med_list_codg)

    def covers(self, treatment_region: str) -> bool:
        if self.region.endswith("0000"):
            return treatment_region[:2] == self.region[:2]
        return treatment_region == self.region


class CatalogueRegistry:
    """Finds the catalogue for a treatment region: the region's own, else its province's."""

    def __init__(self, catalogues: Iterable[Catalogue]) -> None:
        self._by_region: dict[str, Catalogue] = {}
        for catalogue in catalogues:
            if catalogue.region in self._by_region:
                raise ValueError(f"two catalogues for region {catalogue.region}")
            self._by_region[catalogue.region] = catalogue

    def catalogue_for(self, treatment_region: str) -> Catalogue:
        for region in (treatment_region, treatment_region[:2] + "0000"):
            if region in self._by_region:
                return self._by_region[region]
        raise NoCatalogue(f"no catalogue is loaded for treatment region {treatment_region}")

    def __iter__(self) -> Iterator[Catalogue]:
        return iter(self._by_region.values())


def parse_catalogue(text: str, region: str, source: str) -> Catalogue:
    """Read a catalogue CSV (header = `COLUMNS`); errors name the file, line and column."""
    if not (region.isdigit() and len(region) == 6):
        raise ReferenceDataError(source, "", f"the file name must be a 6-digit region code, got {region!r}")
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip() and not line.startswith("#")]
    if not lines:
        raise ReferenceDataError(source, "", "the catalogue is empty")
    header_no, header = lines[0]
    if tuple(c.strip() for c in header.split(",")) != COLUMNS:
        raise ReferenceDataError(source, f"line {header_no}", f"the header must be {','.join(COLUMNS)}")
    items: dict[str, CatalogueItem] = {}
    for line_no, line in lines[1:]:
        row = next(csv.reader(io.StringIO(line)))
        item = _item(row, source, line_no)
        if item.med_list_codg in items:
            raise ReferenceDataError(source, f"line {line_no}", f"code {item.med_list_codg!r} appears twice")
        items[item.med_list_codg] = item
    return Catalogue(region=region, items=items)


def _item(row: list[str], source: str, line_no: int) -> CatalogueItem:
    if len(row) != len(COLUMNS):
        raise ReferenceDataError(source, f"line {line_no}", f"expected {len(COLUMNS)} columns, got {len(row)}")
    cell = dict(zip(COLUMNS, (value.strip() for value in row), strict=True))

    def fail(column: str, problem: str) -> ReferenceDataError:
        return ReferenceDataError(source, f"line {line_no}, column {column}", problem)

    if not cell["med_list_codg"]:
        raise fail("med_list_codg", "the code is empty")
    if cell["chrgitm_lv"] not in (CLASS_A, CLASS_B, SELF_PAY):
        raise fail("chrgitm_lv", f"expected 1 (甲), 2 (乙) or 3 (自费), got {cell['chrgitm_lv']!r}")
    selfpay_prop = Decimal(0)
    if cell["chrgitm_lv"] == CLASS_B:
        try:
            selfpay_prop = Decimal(cell["selfpay_prop"])
        except InvalidOperation:
            raise fail("selfpay_prop", f"a 乙类 item needs a ratio such as 0.10, got {cell['selfpay_prop']!r}") from None
        if not Decimal(0) <= selfpay_prop <= Decimal(1):
            raise fail("selfpay_prop", f"a ratio must lie between 0 and 1, got {cell['selfpay_prop']}")
    elif cell["selfpay_prop"] not in ("", "0"):
        raise fail("selfpay_prop", "only 乙类 (class 2) items have a self-pay ratio")
    cap = None
    if cell["pric_uplmt_amt"]:
        if not cell["pric_uplmt_amt"].isdigit():
            raise fail("pric_uplmt_amt", f"expected a whole number of fen, got {cell['pric_uplmt_amt']!r}")
        cap = int(cell["pric_uplmt_amt"])
    flags = {}
    for column in ("large_equipment", "cosmetic", "special_drug"):
        if cell[column] not in ("", "0", "1"):
            raise fail(column, f"expected 1, 0 or empty, got {cell[column]!r}")
        flags[column] = cell[column] == "1"
    return CatalogueItem(
        med_list_codg=cell["med_list_codg"], name=cell["name"], chrgitm_lv=cell["chrgitm_lv"],
        selfpay_prop=selfpay_prop, pric_uplmt_amt=cap, **flags,
    )
