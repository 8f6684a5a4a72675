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
    Mismatch,
    NetPosition,
    Obligation,
    PrepaymentEntry,
    ReconciliationReport,
)
from services.clearing.tests.unit.builders import CHANGSHA, GUIYANG, TAIYUAN, at

JANUARY = "national/2025-01-01"


def row(obligation_id: str, *, kind: str = "settled", setl_id: str = "S1", cycle_id: str = JANUARY,
        institution: str = "H1", insured: str = CHANGSHA, treatment: str = TAIYUAN, amount: int = 100) -> Obligation:
    return Obligation(obligation_id, cycle_id, kind, setl_id, f"C-{setl_id}", institution, insured, treatment,  # type: ignore[arg-type]
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
        differs = Mismatch("amount_differs", "S1", "settled", "hifp", 100, 90)
        first = ReconciliationReport(JANUARY, 100, 90, 1, 1, (differs,))
        second = ReconciliationReport(JANUARY, 100, 100, 1, 1, ())
        await store.add_reconciliation(first, at(2, 2))
        assert await store.last_reconciliation(JANUARY) == (first, at(2, 2))
        await store.add_reconciliation(second, at(2, 3))
        await store.add_reconciliation(ReconciliationReport("national/2025-02-01", 0, 0, 0, 0, ()), at(3, 2))
        assert await store.last_reconciliation(JANUARY) == (second, at(2, 3))
