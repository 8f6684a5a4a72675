"""Clearing as an application: facts within the consumer's transaction, commands and reports in their own.

The consumer runtime hands a settled or cancelled claim over inside the transaction that also records
its message id; a command (HTTP, or the schedule) opens one transaction for itself, retried on a
transient failure like a consumer's batch; a report reads without locks. Reconciliation stages the
settlement engine's records a page at a time, each in a short transaction, before opening the one
that compares: no transaction waits on the engine, and no process holds a whole cycle.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial
from typing import Any, Protocol, TypeVar, cast
from uuid import uuid4

import structlog

from libs.contracts.envelope import Envelope
from libs.messaging.consumer import TRANSIENT_ERRORS
from libs.messaging.ports import Database, Transaction
from libs.retry import RetryPolicy, retry_transient
from services.clearing.domain import (
    ClaimFact,
    ClearingRepository,
    CycleCalendar,
    CycleClosing,
    CycleNotDue,
    CycleNotOpen,
    Obligation,
    SettlementRow,
    settlement_rows,
)
from services.clearing.domain.ports import StoredReconciliation
from services.clearing.service_layer import handlers, queries
from services.clearing.service_layer.commands import CloseCycle, Reconcile
from services.clearing.service_layer.settlement_records import SettlementRecords, period_window
from services.clearing.service_layer.unit_of_work import UnitOfWork

T = TypeVar("T")
log = structlog.get_logger("clearing")
Clock = Callable[[], datetime]


class RepositoryFactory(Protocol):
    def __call__(self, conn: Any, *, locks: bool) -> ClearingRepository: ...


class _Connected(Protocol):
    conn: Any


def _connection(tx: Transaction) -> Any:
    """The connection of the concrete transaction the bootstrap wires (`PgTransaction.conn`, the fakes' `conn`).

    The `Transaction` port carries none (libs/messaging/ports.py) and the repository factory takes one."""
    return cast(_Connected, tx).conn


class ClearingService:
    def __init__(
        self, database: Database, repository: RepositoryFactory, settlement: SettlementRecords, *,
        clock: Clock, calendar: CycleCalendar, retry: RetryPolicy | None = None,
    ) -> None:
        self.database = database
        self.repository = repository
        self.settlement = settlement
        self.clock = clock
        self.calendar = calendar
        self.retry = retry or RetryPolicy()

    async def receive(self, tx: Transaction, fact: ClaimFact, causation: Envelope[Any] | None = None) -> list[Obligation]:
        """A settled or cancelled claim, inside the consumer runtime's transaction."""
        return await handlers.receive(self._uow(tx, causation), fact)

    async def execute(self, command: Any) -> Any:
        """Run one command in a transaction of its own; refusals propagate with nothing recorded."""
        handler = handlers.COMMAND_HANDLERS[type(command)]
        return await self._with_retries(lambda tx: handler(self._uow(tx), command))

    async def reconcile(self, command: Reconcile) -> StoredReconciliation:
        """Stage the engine's records a page at a time (each page in a short transaction of its own),
        then compare in one transaction; the staged batch is dropped whatever happens."""
        cycle = await self.read(queries.closed_cycle, command.cycle_id)
        batch = uuid4().hex
        try:
            number = 0
            async for page in self.settlement.pages(*period_window(cycle)):
                await self._with_retries(partial(self._stage, batch, number, settlement_rows(cycle, page)))
                number += 1
            return await self._with_retries(lambda tx: handlers.reconcile(self._uow(tx), command, batch))
        except BaseException:
            await self._forget(batch)
            raise

    async def _forget(self, batch: str) -> None:
        """Drop a failed run's staged records; if even that fails, the next run drops them after a day
        (the run's own failure is what the caller must see, not this one's)."""
        try:
            await self._with_retries(lambda tx: self._repo(tx).drop_staged(batch))
        except Exception as exc:  # cleanup of a failed run: the run's own error propagates instead
            log.warning("reconciliation_batch_left", batch=batch, error=type(exc).__name__)

    async def close_due(self) -> list[CycleClosing]:
        """The schedule's tick: close every open cycle whose period has ended, each in its own transaction."""
        now = self.clock()
        due = [c.cycle_id for c in await self.read(lambda repo: repo.open_cycles()) if c.is_due(now)]
        closings = []
        for cycle_id in due:
            try:
                closings.append(await self.execute(CloseCycle(cycle_id, reason="schedule")))
            except (CycleNotOpen, CycleNotDue):
                continue  # a command or another clearing process closed it first
        return closings

    async def read(self, query: Callable[..., Awaitable[T]], *args: Any) -> T:
        async with self.database.transaction() as tx:
            return await query(self._repo(tx, locks=False), *args)

    async def _stage(self, batch: str, page: int, rows: list[SettlementRow], tx: Transaction) -> None:
        await self._repo(tx).stage_settlement_rows(batch, page, rows)

    def _repo(self, tx: Transaction, *, locks: bool = True) -> ClearingRepository:
        return self.repository(_connection(tx), locks=locks)

    def _uow(self, tx: Transaction, causation: Envelope[Any] | None = None) -> UnitOfWork:
        return UnitOfWork(tx, self._repo(tx), self.clock(), self.calendar, causation)

    async def _with_retries(self, work: Callable[[Transaction], Awaitable[T]]) -> T:
        async def in_a_transaction() -> T:
            async with self.database.transaction() as tx:
                return await work(tx)

        return await retry_transient(in_a_transaction, self.retry, TRANSIENT_ERRORS)
