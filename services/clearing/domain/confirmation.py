"""Institutions confirm or roll back their part of a closed cycle (3260 query, 3261 confirm, 3262 roll back).

An item is one claim (setl_id) of one institution in one cycle: all its rows there, per fund. A
claim whose rows in the cycle net to nothing (settled and cancelled in the same cycle) is no item at
all: there is nothing to confirm. Only confirmed items are payable to the institution.

Nothing in the closed cycle changes. A decision is a new `Confirmation` row; an item is pending until
confirmed, and a roll-back is final for that cycle (it may undo a confirmation). A rolled-back item
returns to the scope's open cycle (the next one, unless that has closed too) as `returned` rows, one
per fund, pointing back to the cycle it left. Returned rows move no money between regions, which
settled the item in its original cycle; they carry what the treatment region still owes its
institution, to be confirmed (or rolled back again) there. Repeating a decision changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from libs.money import Fen
from services.clearing.domain.calendar import check_aware
from services.clearing.domain.cycle import ClearingCycle
from services.clearing.domain.errors import ItemNotInDetail, ItemRolledBack
from services.clearing.domain.obligations import Obligation

Decision = Literal["confirmed", "rolled_back"]
ItemStatus = Literal["pending", "confirmed", "rolled_back"]


@dataclass(frozen=True)
class Confirmation:
    """One decision on one item, as one row; (cycle_id, setl_id, decision) is unique."""

    cycle_id: str
    setl_id: str
    fixmedins_code: str
    decision: Decision
    amount: Fen
    decided_at: datetime
    returned_to_cycle_id: str | None = None


@dataclass(frozen=True)
class DetailLine:
    """A 3260 detail line: one claim of the institution in the cycle, with its status."""

    cycle_id: str
    setl_id: str
    claim_id: str
    fixmedins_code: str
    insuplc_admdvs: str
    mdtrtarea_admvs: str
    funds: tuple[tuple[str, Fen], ...]
    amount: Fen
    status: ItemStatus


@dataclass(frozen=True)
class InstitutionPayable:
    confirmed: Fen
    pending: Fen
    rolled_back: Fen


def institution_detail(
    cycle: ClearingCycle, fixmedins_code: str, obligations: Iterable[Obligation],
    confirmations: Iterable[Confirmation],
) -> list[DetailLine]:
    """3260: the institution's items in a closed cycle, sorted by setl_id."""
    cycle.check_closed()
    decided: dict[str, set[str]] = {}
    for c in confirmations:
        if c.cycle_id == cycle.cycle_id:
            decided.setdefault(c.setl_id, set()).add(c.decision)
    rows: dict[str, list[Obligation]] = {}
    for o in obligations:
        if o.cycle_id == cycle.cycle_id and o.fixmedins_code == fixmedins_code:
            rows.setdefault(o.setl_id, []).append(o)
    lines = [_line(cycle.cycle_id, item_rows, decided.get(setl_id, set())) for setl_id, item_rows in rows.items()]
    return sorted((line for line in lines if line.funds), key=lambda line: line.setl_id)


def confirm_items(
    cycle: ClearingCycle, detail: Sequence[DetailLine], setl_ids: Iterable[str] | None, at: datetime,
) -> list[Confirmation]:
    """3261: confirm the named items (all pending ones if None); confirming twice changes nothing."""
    cycle.check_closed()
    check_aware(at, "confirmation time")
    chosen = _choose(cycle, detail, setl_ids, when_none_named=("pending",))
    for line in chosen:
        if line.status == "rolled_back":
            raise ItemRolledBack(
                f"Item {line.setl_id} of {cycle.cycle_id} was rolled back; confirm it in the cycle it returned to."
            )
    return [_decision(line, "confirmed", at) for line in chosen if line.status == "pending"]


def roll_back_items(
    cycle: ClearingCycle, detail: Sequence[DetailLine], setl_ids: Iterable[str] | None,
    target: ClearingCycle, at: datetime,
) -> tuple[list[Confirmation], list[Obligation]]:
    """3262: roll back the named items (all not yet rolled back if None) into the open cycle `target`."""
    cycle.check_closed()
    target.check_open()
    target.check_same_scope(cycle.scope_key, f"Cycle {cycle.cycle_id}")
    check_aware(at, "roll-back time")
    chosen = _choose(cycle, detail, setl_ids, when_none_named=("pending", "confirmed"))
    decisions: list[Confirmation] = []
    returned: list[Obligation] = []
    for line in chosen:
        if line.status != "rolled_back":
            decisions.append(_decision(line, "rolled_back", at, target.cycle_id))
            returned.extend(_returned_rows(line, target.cycle_id, at))
    return decisions, returned


def institution_payable(detail: Iterable[DetailLine]) -> InstitutionPayable:
    sums = {"confirmed": 0, "pending": 0, "rolled_back": 0}
    for line in detail:
        sums[line.status] += line.amount
    return InstitutionPayable(**sums)


def _line(cycle_id: str, rows: list[Obligation], decisions: set[str]) -> DetailLine:
    funds: dict[str, Fen] = {}
    for o in rows:
        funds[o.fund_pay_type] = funds.get(o.fund_pay_type, 0) + o.amount
    net = tuple(sorted((f, a) for f, a in funds.items() if a))
    status: ItemStatus = "rolled_back" if "rolled_back" in decisions else "confirmed" if decisions else "pending"
    first = rows[0]
    return DetailLine(
        cycle_id, first.setl_id, first.claim_id, first.fixmedins_code, first.insuplc_admdvs,
        first.mdtrtarea_admvs, net, sum(a for _, a in net), status,
    )


def _choose(
    cycle: ClearingCycle, detail: Sequence[DetailLine], setl_ids: Iterable[str] | None,
    when_none_named: tuple[ItemStatus, ...],
) -> list[DetailLine]:
    """The named items (each must be in the detail), or every item in one of `when_none_named`."""
    lines = [line for line in detail if line.cycle_id == cycle.cycle_id]
    if setl_ids is None:
        return [line for line in lines if line.status in when_none_named]
    by_id = {line.setl_id: line for line in lines}
    chosen = []
    for setl_id in dict.fromkeys(setl_ids):
        if setl_id not in by_id:
            raise ItemNotInDetail(
                f"Settlement {setl_id} is not an item of this institution in clearing cycle {cycle.cycle_id}."
            )
        chosen.append(by_id[setl_id])
    return chosen


def _decision(line: DetailLine, decision: Decision, at: datetime, returned_to: str | None = None) -> Confirmation:
    return Confirmation(line.cycle_id, line.setl_id, line.fixmedins_code, decision, line.amount, at, returned_to)


def _returned_rows(line: DetailLine, target_cycle_id: str, at: datetime) -> list[Obligation]:
    return [
        Obligation(
            obligation_id=f"{line.setl_id}/returned/{fund}/{line.cycle_id}", cycle_id=target_cycle_id,
            kind="returned", setl_id=line.setl_id, claim_id=line.claim_id, fixmedins_code=line.fixmedins_code,
            insuplc_admdvs=line.insuplc_admdvs, mdtrtarea_admvs=line.mdtrtarea_admvs, fund_pay_type=fund,
            amount=amount, occurred_at=at, arrived_at=at, origin_cycle_id=line.cycle_id,
        )
        for fund, amount in line.funds
    ]
