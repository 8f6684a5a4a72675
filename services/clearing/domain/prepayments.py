"""Prepayments (预付金): money a region advanced to its clearing platform to cover what it will owe.

The rule:
- When a cycle closes, a region with a net payable uses its prepayment balance first: the applied
  part is `min(balance, net payable)`, and the region transfers only the rest in cash.
- What remains of a prepayment carries forward, untouched, to the next cycles of the same scope. It
  is refunded only by an explicit refund command (for example at the yearly re-assessment), never
  automatically, and never beyond the balance.
- A receiving region's prepayment is not touched: it receives its net amount in full.
The platform pays receivers from the payers' cash plus the prepayments applied, so for every cycle
  Σ cash_to_receive = Σ cash_to_pay + Σ prepayment_applied.

The ledger is append-only rows (advanced, applied, refunded); a balance is their sum. An advance or
refund carries the command's id as `entry_id`, which makes a redelivered command change nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from libs.money import Fen
from services.clearing.domain.errors import InvalidAmount, PrepaymentIdReused, PrepaymentInsufficient
from services.clearing.domain.netting import NetPosition
from services.clearing.domain.regions import ClearingScope

PrepaymentKind = Literal["advanced", "applied", "refunded"]
_SIGN = {"advanced": 1, "applied": -1, "refunded": -1}


@dataclass(frozen=True)
class PrepaymentEntry:
    """One row of a region's prepayment ledger in one scope; `amount` is positive."""

    entry_id: str
    scope_key: str
    admdvs: str
    kind: PrepaymentKind
    amount: Fen
    at: datetime
    cycle_id: str | None = None


def prepayment_balances(entries: Iterable[PrepaymentEntry]) -> dict[str, Fen]:
    """Each region's balance: advanced − applied − refunded."""
    balances: dict[str, Fen] = {}
    for e in entries:
        balances[e.admdvs] = balances.get(e.admdvs, 0) + _SIGN[e.kind] * e.amount
    return balances


def advance_prepayment(
    ledger: Sequence[PrepaymentEntry], *, entry_id: str, scope_key: str, admdvs: str, amount: Fen,
    at: datetime,
) -> PrepaymentEntry | None:
    """A region advances money; None if this command was already recorded."""
    entry = PrepaymentEntry(entry_id, scope_key, admdvs, "advanced", amount, at)
    return _new_entry(ledger, entry)


def refund_prepayment(
    ledger: Sequence[PrepaymentEntry], *, entry_id: str, scope_key: str, admdvs: str, amount: Fen,
    at: datetime,
) -> PrepaymentEntry | None:
    """Give back part of a region's balance; None if this command was already recorded."""
    entry = PrepaymentEntry(entry_id, scope_key, admdvs, "refunded", amount, at)
    if (new := _new_entry(ledger, entry)) is None:
        return None
    balance = prepayment_balances(e for e in ledger if e.scope_key == scope_key).get(admdvs, 0)
    if amount > balance:
        raise PrepaymentInsufficient(
            f"Region {admdvs} has {balance} fen of prepayment in {scope_key}; it cannot be refunded {amount} fen."
        )
    return new


def apply_prepayments(
    positions: Sequence[NetPosition], balances: Mapping[str, Fen], *, scope_key: str, at: datetime,
) -> tuple[list[NetPosition], list[PrepaymentEntry]]:
    """Cover each payer's net payable from its balance first; the rest of a balance carries forward."""
    applied_positions: list[NetPosition] = []
    entries: list[PrepaymentEntry] = []
    for p in positions:
        applied = min(max(0, balances.get(p.admdvs, 0)), p.net_payable)
        if applied:
            p = replace(p, prepayment_applied=applied)
            entries.append(PrepaymentEntry(
                f"{p.cycle_id}/{p.admdvs}/applied", scope_key, p.admdvs, "applied", applied, at, p.cycle_id,
            ))
        applied_positions.append(p)
    return applied_positions, entries


def _new_entry(ledger: Sequence[PrepaymentEntry], entry: PrepaymentEntry) -> PrepaymentEntry | None:
    ClearingScope.from_key(entry.scope_key).check_member(entry.admdvs)
    if type(entry.amount) is not int or entry.amount <= 0:
        raise InvalidAmount(f"A prepayment {entry.kind} is a positive amount of whole fen, not {entry.amount!r}.")
    held = next((e for e in ledger if e.entry_id == entry.entry_id), None)
    if held is None:
        return entry
    if replace(held, at=entry.at) != entry:
        raise PrepaymentIdReused(f"Prepayment entry {entry.entry_id} is already recorded with other content.")
    return None
