"""The port clearing's service layer stores through: six tables of flat, append-mostly rows.

| table           | row                    | key                           | changes                      |
|-----------------|------------------------|-------------------------------|------------------------------|
| cycles          | `ClearingCycle`        | cycle_id                      | open → closed, once          |
| obligations     | `Obligation`           | obligation_id                 | never (insert only)          |
| net_positions   | `NetPosition`          | (cycle_id, admdvs)            | never (written at close)     |
| confirmations   | `Confirmation`         | (cycle_id, setl_id, decision) | never (insert only)          |
| prepayments     | `PrepaymentEntry`      | entry_id                      | never (insert only)          |
| reconciliations | `ReconciliationReport` | a run number                  | never (each run is a report) |

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
The methods are coroutines because the platform's store is asyncpg; each call runs inside the
transaction the consumer runtime (libs/messaging) opens for one message or command.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from libs.money import Fen
from services.clearing.domain.confirmation import Confirmation
from services.clearing.domain.cycle import ClearingCycle
from services.clearing.domain.netting import NetPosition, Pair
from services.clearing.domain.obligations import Obligation
from services.clearing.domain.prepayments import PrepaymentEntry
from services.clearing.domain.reconciliation import ReconciliationReport
from services.clearing.domain.statements import InstitutionTotal


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
    async def cycles(self, scope_key: str | None = None) -> list[ClearingCycle]:
        """Every cycle (of one scope if named), sorted by scope and period: what reports list."""
        ...

    # obligations
    async def add_obligations(self, rows: Sequence[Obligation]) -> None: ...
    async def obligations_of_claim(self, setl_id: str) -> list[Obligation]:
        """Every row of one claim, in any cycle: idempotency and late cancellations read this."""
        ...
    async def obligations_of_cycle(self, cycle_id: str, fixmedins_code: str | None = None) -> list[Obligation]: ...
    async def bilateral_totals(self, cycle_id: str) -> dict[Pair, Fen]:
        """SUM(amount) GROUP BY (insuplc_admdvs, mdtrtarea_admvs) WHERE kind <> 'returned'."""
        ...
    async def institution_totals(self, cycle_id: str) -> list[InstitutionTotal]:
        """SUM(amount) GROUP BY (fixmedins_code, mdtrtarea_admvs, insuplc_admdvs), every kind."""
        ...

    # net positions
    async def add_net_positions(self, rows: Sequence[NetPosition]) -> None: ...
    async def net_positions(self, cycle_id: str) -> list[NetPosition]: ...

    # confirmations
    async def add_confirmations(self, rows: Sequence[Confirmation]) -> None: ...
    async def confirmations(self, cycle_id: str, fixmedins_code: str) -> list[Confirmation]: ...

    # prepayments
    async def add_prepayments(self, rows: Sequence[PrepaymentEntry]) -> None: ...
    async def prepayments(self, scope_key: str) -> list[PrepaymentEntry]: ...

    # reconciliation reports (3201 / 3202): every run is kept, the last one is the cycle's answer
    async def add_reconciliation(self, report: ReconciliationReport, reconciled_at: datetime) -> None: ...
    async def last_reconciliation(self, cycle_id: str) -> tuple[ReconciliationReport, datetime] | None: ...
