"""The per-line answer of 2204/2301: each fee line split by catalogue class and price cap (R5).

    det_item_fee_sumamt = fulamt_ownpay_amt + overlmt_amt + preselfpay_amt + inscp_scp_amt
    overlmt_amt         = the line above cap × cnt (a cap of 999999 / none: 0)
    preselfpay_amt      = round_half_up((det − fulamt − overlmt) × selfpay_prop, 2) for 乙类 (02)
    class 03 (and a code outside the catalogue): selfpay_prop 1, the whole line in fulamt_ownpay_amt

A refund line (negative `cnt`, `init_feedetl_sn`) takes back its share of the charge line's split,
part by part, on the count refunded so far (`libs/fee_lines.refund_share`, as the engine does), so
refunding every unit takes back the charge's split exactly.

These are the catalogue's answer at upload. The settlement engine decides the bill: its totals
(which also apply the pack's exclusions, such as a repeated large-equipment exam) are what 2207 posts.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from libs.fee_lines import refund_share
from libs.money import Fen, apply_ratio, line_amount


@dataclass(frozen=True)
class CatalogueEntry:
    """What the treatment region's catalogue says of one code; `cap` is fen per unit (None: no cap)."""

    med_list_codg: str
    chrgitm_lv: str  # "1" 甲, "2" 乙, "3" 自费
    selfpay_prop: Decimal
    cap: Fen | None
    name: str = ""


@dataclass(frozen=True)
class LineSplit:
    chrgitm_lv: str
    selfpay_prop: Decimal
    cap: Fen | None
    fulamt_ownpay_amt: Fen
    overlmt_amt: Fen
    preselfpay_amt: Fen
    inscp_scp_amt: Fen

    @property
    def total(self) -> Fen:
        return self.fulamt_ownpay_amt + self.overlmt_amt + self.preselfpay_amt + self.inscp_scp_amt


def split_line(amount: Fen, cnt: Decimal, entry: CatalogueEntry | None) -> LineSplit:
    """Split one line of `amount` fen (negative on a refund line) by its catalogue entry."""
    if entry is None or entry.chrgitm_lv == "3":
        cap = entry.cap if entry else None
        return LineSplit("3", Decimal(1), cap, amount, 0, 0, 0)
    over = 0
    if entry.cap is not None:
        allowed = line_amount(cnt, Decimal(entry.cap) / 100)
        over = max(0, amount - allowed) if amount >= 0 else min(0, amount - allowed)
    base = amount - over
    ratio = entry.selfpay_prop if entry.chrgitm_lv == "2" else Decimal(0)
    pre = apply_ratio(base, ratio)
    return LineSplit(entry.chrgitm_lv, ratio, entry.cap, 0, over, pre, base - pre)


def split_refund(amount: Fen, cnt: Decimal, charge: LineSplit, charged: Decimal, before: Decimal) -> LineSplit:
    """The split of a refund of `cnt` (negative) units of a line that charged `charged`, `before` already
    refunded; the largest part absorbs the rounding so the parts sum to the refund line's own amount."""
    parts = [charge.fulamt_ownpay_amt, charge.overlmt_amt, charge.preselfpay_amt, charge.inscp_scp_amt]
    taken = [refund_share(part, charged, before, cnt) for part in parts]
    largest = max(range(4), key=lambda i: parts[i])
    taken[largest] = amount - (sum(taken) - taken[largest])
    return LineSplit(charge.chrgitm_lv, charge.selfpay_prop, charge.cap, *taken)
