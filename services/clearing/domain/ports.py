"""The port clearing's service layer stores through: six tables of flat, append-mostly rows.

| table           | row                    | key                           | changes                      |
|-----------------|------------------------|-------------------------------|------------------------------|
| cycles          | `ClearingCycle`        | cycle_id                      | open → closed, once          |
| obligations     | `Obligation`           | obligation_id                 | never (insert only)          |
| net_positions   | `NetPosition`          | (cycle_id, admdvs)            | never (written at close)     |
| confirmations   | `Confirmation`         | (cycle_id, setl_id, decision) | never (insert only)          |
| prepayments     | `PrepaymentEntry`      | entry_id                      | never (insert only)          |
| reconciliations | `ReconciliationReport` | a run number                  | never (each run is a report) |
| settlement_records | `SettlementRow`     | (none: a batch of a run)      | staged, then deleted         |

Besides the keys, a real store needs: a partial unique index allowing one `open` cycle per scope_key;
indexes on obligations (setl_id) and (cycle_id, fixmedins_code). Derived columns (net, cash_to_pay,
cash_to_receive) may be generated columns; the domain never reads them back.

Consistency the adapter owns (the domain decides, the transaction makes it true):
- admitting a fact reads the scope's open cycle (`open_cycle`) with a share lock (FOR SHARE) and
  inserts its rows in the same transaction; closing reads the cycle (`get_cycle`) FOR UPDATE, so no
  row lands in a cycle being closed, and two decisions on one closed cycle's items run one at a time.
- reading a scope's prepayment ledger (`prepayments`) locks that ledger until the transaction ends,
  so two refunds cannot both spend one balance and a refund cannot race a close applying it.
- a duplicate key on insert means another consumer got there first: roll back and retry the message,
  which then finds the rows and changes nothing.

Every `add_*` inserts and never overwrites; `save_cycle` updates only status, closed_at, close_reason.
Lists that grow with the data are read a page at a time, at the store (keyset: the rows after the
cursor `after`, in key order, at most `limit`); a report's totals are summed by the store too.
Reconciliation never holds a cycle: the engine's records are staged a page at a time
(`stage_settlement_rows`, a page again replaces it), `compared` answers the two sides joined in chunks, and each chunk's
mismatches are written before the next is read.

The methods are coroutines because the platform's store is asyncpg; each call runs inside the
transaction the consumer runtime (libs/messaging) opens for one message or command.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from libs.money import Fen
from services.clearing.domain.confirmation import Confirmation, InstitutionPayable
from services.clearing.domain.cycle import ClearingCycle
from services.clearing.domain.netting import NetPosition, Pair
from services.clearing.domain.obligations import Obligation
from services.clearing.domain.prepayments import PrepaymentEntry
from services.clearing.domain.reconciliation import Compared, Mismatch, ReconciliationReport, SettlementRow
from services.clearing.domain.statements import Counterparty, InstitutionTotal

MismatchKey = tuple[str, str, str]  # (setl_id, fact_kind, fund_pay_type): the 3202 detail's order


@dataclass(frozen=True)
class NetPositionTotals:
    """A closed cycle's net positions summed over every region (what a page of them reports besides)."""

    sum_of_nets: Fen
    prepayment_applied: Fen
    cash_to_pay: Fen
    cash_to_receive: Fen


@dataclass(frozen=True)
class StoredReconciliation:
    """One reconciliation run as stored: its number (its mismatches' key), its report, and when."""

    run: int
    report: ReconciliationReport
    reconciled_at: datetime


class ClearingRepository(Protocol):
    # cycles
    async def add_cycle(self, cycle: ClearingCycle) -> None: ...
    async def save_cycle(self, cycle: ClearingCycle) -> None: ...
    async def get_cycle(self, cycle_id: str) -> ClearingCycle:
        """The cycle, or `CycleNotFound`."""
        ...
    async def open_cycle(self, scope_key: str) -> ClearingCycle | None: ...
    async def open_cycles(self) -> list[ClearingCycle]:
        """Every scope's open cycle (the scheduler closes those that are due)."""
        ...
    async def cycles(self, scope_key: str | None = None, after: str | None = None,
                     limit: int | None = None) -> list[ClearingCycle]:
        """The cycles (of one scope if named) after the cycle_id `after`, by cycle_id (scope, then period)."""
        ...

    # obligations
    async def add_obligations(self, rows: Sequence[Obligation]) -> None: ...
    async def obligations_of_claim(self, setl_id: str) -> list[Obligation]:
        """Every row of one claim, in any cycle: idempotency and late cancellations read this."""
        ...
    async def obligations_of_cycle(self, cycle_id: str, fixmedins_code: str | None = None,
                                   setl_ids: Sequence[str] | None = None) -> list[Obligation]: ...
    async def bilateral_totals(self, cycle_id: str) -> dict[Pair, Fen]:
        """SUM(amount) GROUP BY (insuplc_admdvs, mdtrtarea_admvs) WHERE kind <> 'returned'."""
        ...
    async def institution_totals(self, cycle_id: str, fixmedins_code: str | None = None,
                                 after: tuple[str, str] | None = None, limit: int | None = None) -> list[InstitutionTotal]:
        """SUM(amount) GROUP BY (fixmedins_code, mdtrtarea_admvs, insuplc_admdvs), every kind, for at most
        `limit` statements (fixmedins_code, mdtrtarea_admvs) after `after` (of the institution if named)."""
        ...
    async def counterparties(self, cycle_id: str, admdvs: str, after: str | None, limit: int) -> list[Counterparty]:
        """`region_counterparties` of the region, summed here, a page of other regions at a time."""
        ...
    async def item_ids(self, cycle_id: str, fixmedins_code: str, after: str | None, limit: int) -> list[str]:
        """The setl_ids of the institution's items (claims not netting to nothing), by setl_id."""
        ...
    async def institution_payable(self, cycle_id: str, fixmedins_code: str) -> InstitutionPayable:
        """`institution_payable` over all the institution's items, summed here."""
        ...

    # net positions
    async def add_net_positions(self, rows: Sequence[NetPosition]) -> None: ...
    async def net_positions(self, cycle_id: str, after: str | None = None, limit: int | None = None,
                            admdvs: str | None = None) -> list[NetPosition]:
        """By admdvs: those after `after` (at most `limit`), or only `admdvs`'s."""
        ...
    async def net_position_totals(self, cycle_id: str) -> NetPositionTotals: ...

    # confirmations
    async def add_confirmations(self, rows: Sequence[Confirmation]) -> None: ...
    async def confirmations(self, cycle_id: str, fixmedins_code: str,
                            setl_ids: Sequence[str] | None = None) -> list[Confirmation]: ...

    # prepayments
    async def add_prepayments(self, rows: Sequence[PrepaymentEntry]) -> None: ...
    async def prepayments(self, scope_key: str) -> list[PrepaymentEntry]: ...
    async def prepayment_balances(self, scope_key: str, after: str | None, limit: int) -> list[tuple[str, Fen]]:
        """`prepayment_balances` summed here, a page of regions (by admdvs) at a time."""
        ...

    # reconciliation reports (3201 / 3202): every run is kept, the last one is the cycle's answer
    async def stage_settlement_rows(self, batch: str, page: int, rows: Sequence[SettlementRow]) -> None:
        """Page `page` of the engine's records, kept under `batch` until `drop_staged`; staging a page
        again replaces it (a retry after a commit whose acknowledgement was lost counts it once)."""
        ...
    def compared(self, cycle_id: str, batch: str, chunk: int) -> AsyncIterator[list[Compared]]:
        """The cycle's settled and cancelled rows and the batch's, summed per (setl_id, kind, fund) and
        joined, in that key's order (codepoints), `chunk` at a time."""
        ...
    async def drop_staged(self, batch: str) -> None:
        """Forget the batch (and any batch a crashed run left behind for a day)."""
        ...
    async def start_reconciliation(self, cycle_id: str, reconciled_at: datetime) -> int:
        """A new run's number; its report is written by `finish_reconciliation` in the same transaction."""
        ...
    async def add_mismatches(self, run: int, mismatches: Sequence[Mismatch]) -> None: ...
    async def finish_reconciliation(self, run: int, report: ReconciliationReport) -> None: ...
    async def last_reconciliation(self, cycle_id: str) -> StoredReconciliation | None: ...
    async def mismatches(self, run: int, after: MismatchKey | None, limit: int) -> list[Mismatch]:
        """A page of the run's 3202 detail, by (setl_id, fact_kind, fund_pay_type)."""
        ...
