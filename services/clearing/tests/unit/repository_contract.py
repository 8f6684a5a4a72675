"""The contract every `ClearingRepository` keeps; subclass it once per adapter.

The in-memory fake runs it in `test_in_memory_repository.py`; the Postgres adapter's integration test
subclasses it the same way, giving its own `store` fixture and `duplicate_key_error`.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from services.clearing.domain import (
    NATIONAL,
    ClearingCycle,
    ClearingRepository,
    ClearingScope,
    Confirmation,
    CycleNotFound,
    InstitutionPayable,
    Mismatch,
    NetPosition,
    Obligation,
    PrepaymentEntry,
    ReconciliationReport,
    SettlementRow,
)
from services.clearing.domain.facts import FactKind
from services.clearing.domain.obligations import ObligationKind
from services.clearing.domain.ports import StoredReconciliation
from services.clearing.tests.unit.builders import CHANGSHA, GUIYANG, TAIYUAN, at

JANUARY = "national/2025-01-01"


def row(obligation_id: str, *, kind: ObligationKind = "settled", setl_id: str = "S1", cycle_id: str = JANUARY,
        institution: str = "H1", insured: str = CHANGSHA, treatment: str = TAIYUAN, amount: int = 100) -> Obligation:
    return Obligation(obligation_id, cycle_id, kind, setl_id, f"C-{setl_id}", institution, insured, treatment,
                      "hifp", amount, at(1, 9), at(1, 10), None)


class ClearingRepositoryContract:
    duplicate_key_error: type[Exception]

    @pytest.fixture
    def store(self) -> ClearingRepository:
        raise NotImplementedError

    async def test_a_stored_cycle_reads_back_equal_and_its_closing_is_saved(self, store: ClearingRepository) -> None:
        cycle = ClearingCycle.first(NATIONAL, at(1, 1))
        await store.add_cycle(cycle)
        assert await store.get_cycle(cycle.cycle_id) == cycle
        closed = replace(cycle, status="closed", closed_at=at(2, 1), close_reason="schedule")
        await store.save_cycle(closed)
        assert await store.get_cycle(cycle.cycle_id) == closed
        assert await store.open_cycle("national") is None

    async def test_cycles_are_listed_by_scope_and_period(self, store: ClearingRepository) -> None:
        january = ClearingCycle.first(NATIONAL, at(1, 1))
        await store.add_cycle(replace(january, status="closed", closed_at=at(2, 1), close_reason="command"))
        await store.add_cycle(ClearingCycle.first(NATIONAL, at(2, 1)))
        await store.add_cycle(ClearingCycle.first(ClearingScope("provincial", "43"), at(1, 5)))
        assert [c.cycle_id for c in await store.cycles()] == [
            "national/2025-01-01", "national/2025-02-01", "provincial-43/2025-01-01",
        ]
        assert [c.cycle_id for c in await store.cycles("provincial-43")] == ["provincial-43/2025-01-01"]

    async def test_an_unknown_cycle_is_not_found(self, store: ClearingRepository) -> None:
        with pytest.raises(CycleNotFound):
            await store.get_cycle("national/1999-01-01")

    async def test_each_scope_has_at_most_one_open_cycle(self, store: ClearingRepository) -> None:
        await store.add_cycle(ClearingCycle.first(NATIONAL, at(1, 1)))
        await store.add_cycle(ClearingCycle.first(ClearingScope("provincial", "43"), at(1, 1)))
        with pytest.raises(self.duplicate_key_error):
            await store.add_cycle(ClearingCycle.first(NATIONAL, at(2, 1)))
        assert sorted(c.scope_key for c in await store.open_cycles()) == ["national", "provincial-43"]

    async def test_an_obligation_is_stored_once(self, store: ClearingRepository) -> None:
        await store.add_cycle(ClearingCycle.first(NATIONAL, at(1, 1)))
        await store.add_obligations([row("S1/settled/hifp")])
        with pytest.raises(self.duplicate_key_error):
            await store.add_obligations([row("S2/settled/hifp", setl_id="S2"), row("S1/settled/hifp")])
        assert [o.obligation_id for o in await store.obligations_of_cycle(JANUARY)] == ["S1/settled/hifp"]

    async def test_obligations_are_found_by_claim_across_cycles_and_by_cycle_and_institution(
        self, store: ClearingRepository,
    ) -> None:
        await store.add_obligations([
            row("S1/settled/hifp"), row("S1/cancelled/hifp", kind="cancelled", cycle_id="national/2025-02-01", amount=-100),
            row("S2/settled/hifp", setl_id="S2", institution="H2"),
        ])
        assert sorted(o.obligation_id for o in await store.obligations_of_claim("S1")) == [
            "S1/cancelled/hifp", "S1/settled/hifp",
        ]
        assert [o.setl_id for o in await store.obligations_of_cycle(JANUARY, "H2")] == ["S2"]

    async def test_bilateral_totals_leave_returned_rows_out_and_institution_totals_keep_them(
        self, store: ClearingRepository,
    ) -> None:
        await store.add_obligations([
            row("S1/settled/hifp", amount=100), row("S2/settled/hifp", setl_id="S2", amount=50),
            row("S3/settled/hifp", setl_id="S3", insured=GUIYANG, amount=7),
            row("S9/returned/hifp/x", kind="returned", setl_id="S9", amount=1_000),
        ])
        assert await store.bilateral_totals(JANUARY) == {(CHANGSHA, TAIYUAN): 150, (GUIYANG, TAIYUAN): 7}
        assert sorted((t.insuplc_admdvs, t.amount) for t in await store.institution_totals(JANUARY)) == [
            (CHANGSHA, 1_150), (GUIYANG, 7),
        ]

    async def test_net_positions_confirmations_and_prepayments_read_back(self, store: ClearingRepository) -> None:
        position = NetPosition(JANUARY, CHANGSHA, gross_payable=100, gross_receivable=0, prepayment_applied=40)
        await store.add_net_positions([position])
        assert await store.net_positions(JANUARY) == [position]
        decision = Confirmation(JANUARY, "S1", "H1", "rolled_back", 100, at(2, 3), "national/2025-02-01")
        await store.add_confirmations([decision])
        assert await store.confirmations(JANUARY, "H1") == [decision]
        assert await store.confirmations(JANUARY, "H2") == []
        entry = PrepaymentEntry("A1", "national", CHANGSHA, "advanced", 500, at(1, 1))
        await store.add_prepayments([entry])
        assert await store.prepayments("national") == [entry]
        assert await store.prepayments("provincial-43") == []
        with pytest.raises(self.duplicate_key_error):
            await store.add_prepayments([entry])

    async def test_a_loaded_cycle_changed_but_not_saved_leaves_the_store_as_it_was(
        self, store: ClearingRepository,
    ) -> None:
        await store.add_cycle(ClearingCycle.first(NATIONAL, at(1, 1)))
        loaded = await store.get_cycle(JANUARY)
        loaded.status = "closed"
        assert (await store.get_cycle(JANUARY)).status == "open"

    async def test_the_last_reconciliation_of_a_cycle_is_its_answer(self, store: ClearingRepository) -> None:
        assert await store.last_reconciliation(JANUARY) is None
        first = await store.start_reconciliation(JANUARY, at(2, 2))
        await store.add_mismatches(first, [Mismatch("amount_differs", "S1", "settled", "hifp", 100, 90)])
        await store.finish_reconciliation(first, ReconciliationReport(JANUARY, 100, 90, 1, 1, amount_differs=1))
        second = await store.start_reconciliation(JANUARY, at(2, 3))
        await store.finish_reconciliation(second, ReconciliationReport(JANUARY, 100, 100, 1, 1))
        other = await store.start_reconciliation("national/2025-02-01", at(3, 2))
        await store.finish_reconciliation(other, ReconciliationReport("national/2025-02-01", 0, 0, 0, 0))
        assert await store.last_reconciliation(JANUARY) == StoredReconciliation(
            second, ReconciliationReport(JANUARY, 100, 100, 1, 1), at(2, 3))
        assert await store.mismatches(second, None, 10) == []
        assert [m.setl_id for m in await store.mismatches(first, None, 10)] == ["S1"]

    async def test_a_runs_mismatches_are_read_a_page_at_a_time_in_codepoint_order(self, store: ClearingRepository) -> None:
        run = await store.start_reconciliation(JANUARY, at(2, 2))
        keys: list[tuple[str, FactKind, str]] = [("S10", "settled", "hifp"), ("S1", "settled", "hifp"), ("S1", "cancelled", "hifp"),
                ("S1", "settled", "hifmi"), ("s0", "settled", "hifp"), ("S2", "settled", "hifp")]
        await store.add_mismatches(run, [Mismatch("missing_in_clearing", *k, 0, 1) for k in keys])
        first = await store.mismatches(run, None, 3)
        rest = await store.mismatches(run, first[-1].key, 10)
        assert [m.key for m in first + rest] == sorted(keys)

    async def test_staged_records_are_compared_with_the_cycle_fund_by_fund_in_key_order(
        self, store: ClearingRepository,
    ) -> None:
        await store.add_cycle(replace(ClearingCycle.first(NATIONAL, at(1, 1)), status="closed", closed_at=at(2, 1),
                                      close_reason="command"))
        await store.add_obligations([
            row("S1/settled/hifp", amount=100), row("S2/settled/hifp", setl_id="S2", amount=50),
            row("S2/cancelled/hifp", kind="cancelled", setl_id="S2", amount=-50),
            row("S9/returned/hifp/x", kind="returned", setl_id="S9", amount=1_000),
        ])
        await store.stage_settlement_rows("b1", 0, [SettlementRow("S1", "settled", "hifp", 90),
                                                    SettlementRow("S3", "settled", "hifp", 7)])
        await store.stage_settlement_rows("b1", 1, [SettlementRow("S2", "settled", "hifp", 50)])
        await store.stage_settlement_rows("b1", 1, [SettlementRow("S2", "settled", "hifp", 50)])  # a retried page
        await store.stage_settlement_rows("b2", 0, [SettlementRow("S4", "settled", "hifp", 1)])
        chunks = [chunk async for chunk in store.compared(JANUARY, "b1", 2)]
        assert [len(chunk) for chunk in chunks] == [2, 2]
        assert [tuple(c) for chunk in chunks for c in chunk] == [
            ("S1", "settled", "hifp", 100, 90), ("S2", "cancelled", "hifp", -50, None),
            ("S2", "settled", "hifp", 50, 50), ("S3", "settled", "hifp", None, 7),
        ]
        await store.drop_staged("b1")
        assert [c.setl_id for chunk in [c async for c in store.compared(JANUARY, "b1", 10)] for c in chunk] == ["S1", "S2", "S2"]

    async def test_reports_are_read_a_page_at_a_time_with_totals_over_everything(self, store: ClearingRepository) -> None:
        await store.add_cycle(replace(ClearingCycle.first(NATIONAL, at(1, 1)), status="closed", closed_at=at(2, 1),
                                      close_reason="command"))
        await store.add_net_positions([
            NetPosition(JANUARY, CHANGSHA, gross_payable=100, gross_receivable=0, prepayment_applied=40),
            NetPosition(JANUARY, GUIYANG, gross_payable=7, gross_receivable=0),
            NetPosition(JANUARY, TAIYUAN, gross_payable=0, gross_receivable=107),
        ])
        assert [p.admdvs for p in await store.net_positions(JANUARY, CHANGSHA, 1)] == [GUIYANG]
        assert [p.admdvs for p in await store.net_positions(JANUARY, admdvs=GUIYANG)] == [GUIYANG]
        totals = await store.net_position_totals(JANUARY)
        assert (totals.sum_of_nets, totals.prepayment_applied, totals.cash_to_pay, totals.cash_to_receive) == (0, 40, 67, 107)
        await store.add_obligations([
            row("S1/settled/hifp", amount=100), row("S2/settled/hifp", setl_id="S2", institution="H2", amount=50),
            row("S2/cancelled/hifp", kind="cancelled", setl_id="S2", institution="H2", amount=-50),
            row("S3/settled/hifp", setl_id="S3", insured=GUIYANG, institution="H2", amount=7),
        ])
        assert [(c.admdvs, c.payable, c.receivable) for c in await store.counterparties(JANUARY, TAIYUAN, None, 10)] == [
            (CHANGSHA, 0, 100), (GUIYANG, 0, 7)]
        assert [c.admdvs for c in await store.counterparties(JANUARY, TAIYUAN, CHANGSHA, 10)] == [GUIYANG]
        assert {t.fixmedins_code for t in await store.institution_totals(JANUARY, after=("H1", TAIYUAN), limit=1)} == {"H2"}
        assert await store.item_ids(JANUARY, "H2", None, 10) == ["S3"]  # S2 nets to nothing: no item
        assert await store.institution_payable(JANUARY, "H2") == InstitutionPayable(confirmed=0, pending=7, rolled_back=0)
        await store.add_prepayments([PrepaymentEntry("A1", "national", CHANGSHA, "advanced", 500, at(1, 1)),
                                     PrepaymentEntry("R1", "national", CHANGSHA, "refunded", 100, at(1, 2)),
                                     PrepaymentEntry("A2", "national", GUIYANG, "advanced", 9, at(1, 1))])
        assert await store.prepayment_balances("national", None, 1) == [(CHANGSHA, 400)]
        assert await store.prepayment_balances("national", CHANGSHA, 5) == [(GUIYANG, 9)]
        assert [c.cycle_id for c in await store.cycles(after=JANUARY, limit=5)] == []
