"""The national interface's fee-line and refund rules (2204 / 2301), defined once.

The hospital checks a bill with them before it sends it (`libs/hospital/rules.py`), and settlement
refuses a claim that breaks them (`services/settlement/domain/claim_checks.py`), so the two can never
disagree on what a well-formed bill is.

A line's amount is `cnt × pric` rounded half-up to the fen (`libs.money.line_amount`), a refund line
too: a refund line has a negative `cnt` and names the charge line it refunds in `init_feedetl_sn`,
with the same code and unit price, and the refunds of a line never return more units than it charged.
Because each refund line is rounded on its own, single-unit refunds may add up to a fen more than
the charge (2 × 0.335 = 0.67, refunded as 0.34 + 0.34): what a refund *takes back* is therefore its
share of the charge line, computed on the count refunded so far (`refund_share`), so refunding every
unit, in one line or several, takes back the charge exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any, Protocol, TypeVar

from libs.money import Fen


class LineLike(Protocol):
    """A fee line as the hospital's HIS holds it (count or price may be unreadable: None) or as
    settlement reads it from the contract."""

    @property
    def feedetl_sn(self) -> str: ...
    @property
    def init_feedetl_sn(self) -> str | None: ...
    @property
    def med_list_codg(self) -> str: ...
    @property
    def cnt(self) -> Decimal | None: ...
    @property
    def pric(self) -> Decimal | None: ...
    @property
    def drug_trac_codg(self) -> Any: ...


L = TypeVar("L", bound=LineLike)


def _name(field: str) -> str:
    return field


def is_refund(line: LineLike) -> bool:
    return line.cnt is not None and line.cnt < 0


def line_faults(line: LineLike, label: Callable[[str], str] = _name) -> list[str]:
    """What is wrong with one line's count and unit price, worded for the clerk who fixes it."""
    faults = []
    if line.cnt is not None and line.cnt == 0:
        faults.append(f"{label('cnt')} is zero; leave the line out instead")
    if line.pric is not None and line.pric < 0:
        faults.append(f"{label('pric')} cannot be negative; a refund has a negative count")
    return faults


def refund_faults(lines: Sequence[L], label: Callable[[str], str] = _name) -> list[tuple[L, str]]:
    """Every refund rule a bill breaks, with the line that breaks it."""
    charges: dict[str, L] = {}
    for line in lines:
        if not is_refund(line):
            charges.setdefault(line.feedetl_sn, line)
    faults: list[tuple[L, str]] = []
    refunded: dict[str, Decimal] = {}
    for line in lines:
        if not is_refund(line):
            if line.init_feedetl_sn:
                faults.append((line, f"{label('init_feedetl_sn')} is only for refund lines (negative count)"))
            continue
        sn = line.init_feedetl_sn
        original = charges.get(sn or "")
        if not sn:
            faults.append((line, f"a refund line (negative count) needs {label('init_feedetl_sn')}: the line it refunds"))
        elif original is None:
            faults.append((line, f"{label('init_feedetl_sn')} {sn} is not a charge line of this bill"))
        elif (original.med_list_codg, original.pric) != (line.med_list_codg, line.pric):
            faults.append((line, f"refunds line {sn} ({original.med_list_codg} at {original.pric}) but names "
                                 f"{line.med_list_codg} at {line.pric}; a refund returns the same item at the same unit price"))
        elif not set(line.drug_trac_codg or ()) <= set(original.drug_trac_codg or ()):
            faults.append((line, f"returns traceability codes line {sn} did not sell"))
        elif original.cnt is not None and line.cnt is not None:
            refunded[sn] = refunded.get(sn, Decimal(0)) - line.cnt
            if refunded[sn] > original.cnt:
                faults.append((line, f"refunds {refunded[sn]} in total of line {sn}, which charged only {original.cnt}"))
    return faults


def refunded_before(lines: Sequence[LineLike]) -> dict[str, Decimal]:
    """For each refund line, the count of its charge line already refunded by the refund lines before it."""
    seen: dict[str, Decimal] = {}
    before: dict[str, Decimal] = {}
    for line in lines:
        if is_refund(line) and line.init_feedetl_sn and line.cnt is not None:
            before[line.feedetl_sn] = seen.get(line.init_feedetl_sn, Decimal(0))
            seen[line.init_feedetl_sn] = before[line.feedetl_sn] - line.cnt
    return before


def share(part: Fen, count: Decimal, of: Decimal) -> Fen:
    """`part × count / of` rounded half-up, exactly (a Decimal quotient such as 5/6 would not be)."""
    return math.floor(Fraction(part) * Fraction(count) / Fraction(of) + Fraction(1, 2))


def refund_share(part: Fen, charged: Decimal, before: Decimal, cnt: Decimal) -> Fen:
    """What a refund of `cnt` units (negative) takes back of `part` of a line that charged `charged`
    units, `before` of them already refunded: a negative amount. Cumulative, so all the refunds of a
    line together take back `part` exactly once every unit is refunded."""
    return -(share(part, before - cnt, charged) - share(part, before, charged))
