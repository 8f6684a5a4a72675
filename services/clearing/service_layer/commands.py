"""What operators and institutions ask clearing to do: small frozen commands, one handler each."""

from __future__ import annotations

from dataclasses import dataclass

from libs.money import Fen
from services.clearing.domain import CloseReason


@dataclass(frozen=True)
class CloseCycle:
    """Close a cycle: net it, apply prepayments, open the next (the schedule sends reason `schedule`)."""

    cycle_id: str
    reason: CloseReason = "command"


@dataclass(frozen=True)
class AdvancePrepayment:
    """A region advances prepayment (预付金) to a clearing platform; `entry_id` makes it idempotent."""

    entry_id: str
    scope_key: str
    admdvs: str
    amount: Fen


@dataclass(frozen=True)
class RefundPrepayment:
    """Give part of a region's prepayment back (never beyond its balance)."""

    entry_id: str
    scope_key: str
    admdvs: str
    amount: Fen


@dataclass(frozen=True)
class ConfirmItems:
    """3261: the institution confirms the named items of a closed cycle, or every pending one (None)."""

    cycle_id: str
    fixmedins_code: str
    setl_ids: tuple[str, ...] | None = None


@dataclass(frozen=True)
class RollBackItems:
    """3262: the institution rolls the named items back (None: every one not yet rolled back)."""

    cycle_id: str
    fixmedins_code: str
    setl_ids: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Reconcile:
    """3201/3202: check a closed cycle against the settlement engine's records for its period."""

    cycle_id: str
