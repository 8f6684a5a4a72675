"""The streamed reconciliation on the real Postgres gives exactly what the whole-cycle one gave.

Forty small random cycles (settlements, cancellations, returned rows, several funds, setl_ids whose
codepoint order differs from a locale's, records of other scopes) are reconciled by the service as
`make run` wires it, the engine's records read two to a page, and compared with `whole_cycle`: the
comparison as it was before it streamed (one dict per side, every key sorted in memory), kept here as
the oracle. The stored detail is read back in pages of three, so its paging is checked on the way.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterable
from dataclasses import replace

import asyncpg
import pytest

from libs.messaging.postgres import PgDatabase
from services.clearing.adapters.repository import PostgresClearingRepository
from services.clearing.domain import (
    NATIONAL,
    ClaimFact,
    ClearingCycle,
    CycleCalendar,
    Mismatch,
    Obligation,
    ReconciliationReport,
)
from services.clearing.domain.facts import SIGN, FactKind
from services.clearing.domain.reconciliation import MismatchKind
from services.clearing.service_layer.commands import Reconcile
from services.clearing.service_layer.service import ClearingService
from services.clearing.tests.integration.databases import clearing_database
from services.clearing.tests.unit.builders import CHANGSHA, LOUDI, TAIYUAN, TAIYUAN_HOSPITAL, at, cancelled, settled
from services.clearing.tests.unit.fakes import FakeSettlementRecords
from tests.support.pg import connection

pytestmark = pytest.mark.integration

JANUARY = "national/2025-01-01"
SETL_IDS = ["S1", "S10", "S2", "s1", "Sa", "SB", "S-3", "S_3"]
FUNDS = ["310100", "330100", "hifp", "HIFP"]


def whole_cycle(cycle: ClearingCycle, obligations: Iterable[Obligation], records: Iterable[ClaimFact],
                ) -> tuple[ReconciliationReport, list[Mismatch]]:
    """The comparison before it streamed (commit 73aeba7), word for word but for the report's shape."""
    clearing: dict[tuple[str, FactKind, str], int] = {}
    for o in obligations:
        if o.cycle_id == cycle.cycle_id and o.kind != "returned":
            key = (o.setl_id, o.kind, o.fund_pay_type)
            clearing[key] = clearing.get(key, 0) + o.amount
    settlement: dict[tuple[str, FactKind, str], int] = {}
    for r in records:
        if r.scope is None or r.scope.key != cycle.scope_key:
            continue
        for fund_pay_type, amount in r.funds:
            key = (r.setl_id, r.kind, fund_pay_type)
            settlement[key] = settlement.get(key, 0) + SIGN[r.kind] * amount
    mismatches = []
    for key in sorted(set(clearing) | set(settlement)):
        ours, theirs = clearing.get(key), settlement.get(key)
        if ours != theirs:
            kind: MismatchKind = "missing_in_clearing" if ours is None else "missing_in_settlement" if theirs is None else "amount_differs"
            mismatches.append(Mismatch(kind, *key, ours or 0, theirs or 0))
    kinds = [m.kind for m in mismatches]
    return ReconciliationReport(
        cycle.cycle_id, sum(clearing.values()), sum(settlement.values()), len({k[:2] for k in clearing}),
        len({k[:2] for k in settlement}), kinds.count("missing_in_clearing"), kinds.count("missing_in_settlement"),
        kinds.count("amount_differs"),
    ), mismatches


def a_cycle(seed: int) -> tuple[list[Obligation], list[ClaimFact]]:
    """Obligations and engine records that mostly agree, with every kind of disagreement sprinkled in."""
    rng = random.Random(seed)
    obligations: list[Obligation] = []
    records: list[ClaimFact] = []
    for setl_id in rng.sample(SETL_IDS, rng.randint(0, len(SETL_IDS))):
        funds = {f: rng.randint(1, 900) for f in rng.sample(FUNDS, rng.randint(1, 3))}
        fact = settled(setl_id, funds=funds)
        facts = [fact, cancelled(fact)] if rng.random() < 0.3 else [fact]
        for f in facts:
            for fund, amount in f.funds:
                if rng.random() < 0.9:  # now and then clearing lacks a row
                    signed = SIGN[f.kind] * amount
                    obligations.append(Obligation(f"{setl_id}/{f.kind}/{fund}", JANUARY, f.kind, setl_id, f.claim_id,
                                                  TAIYUAN_HOSPITAL, CHANGSHA, TAIYUAN, fund, signed, at(1, 10), at(1, 10)))
            if rng.random() < 0.85:  # now and then the engine lacks a record, or holds another amount
                records.append(f if rng.random() < 0.8 else settled(setl_id, funds={k: v + 1 for k, v in funds.items()})
                               if f.kind == "settled" else f)
        if rng.random() < 0.2:
            obligations.append(Obligation(f"{setl_id}/returned/hifp/x", JANUARY, "returned", setl_id, f"C-{setl_id}",
                                          TAIYUAN_HOSPITAL, CHANGSHA, TAIYUAN, "hifp", 77, at(1, 10), at(1, 10), "x"))
    records += [settled("L1", insured=CHANGSHA, treatment=CHANGSHA), settled("P1", insured=LOUDI, treatment=CHANGSHA)]
    if rng.random() < 0.5:
        records.append(settled("X9", funds={"hifp": rng.randint(1, 50)}))
    return obligations, records


@pytest.fixture(scope="module")
async def pool(namespace) -> AsyncIterator[asyncpg.Pool]:
    async with clearing_database(namespace, "clearing_streamed") as created:
        yield created


async def test_forty_small_cycles_reconcile_exactly_as_the_whole_cycle_comparison_did(pool: asyncpg.Pool) -> None:
    cycle = replace(ClearingCycle.first(NATIONAL, at(1, 1)), status="closed", closed_at=at(2, 1), close_reason="command")
    for seed in range(40):
        obligations, records = a_cycle(seed)
        async with pool.acquire() as conn:
            await conn.execute("TRUNCATE cycles, obligations, reconciliations, reconciliation_mismatches, settlement_records")
            repo = PostgresClearingRepository(connection(conn))
            await repo.add_cycle(cycle)
            await repo.add_obligations(obligations)
        service = ClearingService(PgDatabase(pool), PostgresClearingRepository, FakeSettlementRecords(*records),
                                  clock=lambda: at(2, 2), calendar=CycleCalendar("month", 1))
        run = await service.reconcile(Reconcile(JANUARY))
        async with pool.acquire() as conn:
            repo = PostgresClearingRepository(connection(conn), locks=False)
            stored = await repo.last_reconciliation(JANUARY)
            detail: list[Mismatch] = []
            while page := await repo.mismatches(run.run, detail[-1].key if detail else None, 3):
                detail += page
            assert await conn.fetchval("SELECT count(*) FROM settlement_records") == 0
        assert stored is not None and stored.report == run.report
        assert (run.report, detail) == whole_cycle(cycle, obligations, records), f"seed {seed}"
