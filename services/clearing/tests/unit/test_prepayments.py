"""Prepayments (预付金) cover a payer's net payable first; what remains carries forward."""

from __future__ import annotations

import pytest

from services.clearing.domain import (
    InvalidAmount,
    PrepaymentIdReused,
    PrepaymentInsufficient,
    RegionNotInScope,
    advance_prepayment,
    prepayment_balances,
    refund_prepayment,
)
from services.clearing.tests.unit import flows
from services.clearing.tests.unit.builders import CHANGSHA, LOUDI, TAIYUAN, at, settled
from services.clearing.tests.unit.fakes import InMemoryClearingRepository


async def advance(repo: InMemoryClearingRepository, region: str, amount: int, entry_id: str = "A1") -> None:
    entry = advance_prepayment(await repo.prepayments("national"), entry_id=entry_id, scope_key="national",
                               admdvs=region, amount=amount, at=at(1, 1))
    await repo.add_prepayments([entry] if entry else [])


async def balance(repo: InMemoryClearingRepository, region: str) -> int:
    return prepayment_balances(await repo.prepayments("national")).get(region, 0)


async def test_a_prepayment_reduces_the_payers_cash_and_the_rest_carries_forward(repo: InMemoryClearingRepository) -> None:
    await advance(repo, CHANGSHA, 100_000)
    await flows.receive(repo, settled("S1", funds={"hifp": 60_000}), at(1, 10))
    closing = await flows.close(repo, "national/2025-01-01", at(2, 1))
    changsha = next(p for p in closing.net_positions if p.admdvs == CHANGSHA)
    assert (changsha.net_payable, changsha.prepayment_applied, changsha.cash_to_pay) == (60_000, 60_000, 0)
    assert [(e.kind, e.amount, e.cycle_id) for e in closing.prepayments_applied] == [
        ("applied", 60_000, "national/2025-01-01")
    ]
    assert await balance(repo, CHANGSHA) == 40_000


async def test_a_prepayment_smaller_than_the_payable_leaves_cash_to_pay(repo: InMemoryClearingRepository) -> None:
    await advance(repo, CHANGSHA, 10_000)
    await flows.receive(repo, settled("S1", funds={"hifp": 60_000}), at(1, 10))
    changsha = next(p for p in (await flows.close(repo, "national/2025-01-01", at(2, 1))).net_positions if p.admdvs == CHANGSHA)
    assert (changsha.prepayment_applied, changsha.cash_to_pay) == (10_000, 50_000)
    assert await balance(repo, CHANGSHA) == 0


async def test_a_remaining_prepayment_covers_the_next_cycles_in_turn(repo: InMemoryClearingRepository) -> None:
    await advance(repo, CHANGSHA, 100_000)
    await flows.receive(repo, settled("S1", funds={"hifp": 60_000}), at(1, 10))
    await flows.close(repo, "national/2025-01-01", at(2, 1))
    await flows.receive(repo, settled("S2", funds={"hifp": 60_000}), at(2, 10))
    changsha = next(p for p in (await flows.close(repo, "national/2025-02-01", at(3, 1))).net_positions if p.admdvs == CHANGSHA)
    assert (changsha.prepayment_applied, changsha.cash_to_pay) == (40_000, 20_000)


async def test_a_receiving_regions_prepayment_is_untouched(repo: InMemoryClearingRepository) -> None:
    await advance(repo, TAIYUAN, 100_000)
    await flows.receive(repo, settled("S1", funds={"hifp": 60_000}), at(1, 10))
    taiyuan = next(p for p in (await flows.close(repo, "national/2025-01-01", at(2, 1))).net_positions if p.admdvs == TAIYUAN)
    assert (taiyuan.prepayment_applied, taiyuan.cash_to_receive) == (0, 60_000)
    assert await balance(repo, TAIYUAN) == 100_000


async def test_a_refund_within_the_balance_is_recorded(repo: InMemoryClearingRepository) -> None:
    await advance(repo, CHANGSHA, 100_000)
    entry = refund_prepayment(await repo.prepayments("national"), entry_id="R1", scope_key="national", admdvs=CHANGSHA,
                              amount=30_000, at=at(12, 31))
    assert entry is not None and (entry.kind, entry.amount) == ("refunded", 30_000)
    await repo.add_prepayments([entry])
    assert await balance(repo, CHANGSHA) == 70_000


async def test_a_refund_beyond_the_balance_is_refused(repo: InMemoryClearingRepository) -> None:
    await advance(repo, CHANGSHA, 100_000)
    with pytest.raises(PrepaymentInsufficient):
        refund_prepayment(await repo.prepayments("national"), entry_id="R1", scope_key="national", admdvs=CHANGSHA,
                          amount=100_001, at=at(12, 31))


async def test_a_redelivered_advance_changes_nothing(repo: InMemoryClearingRepository) -> None:
    await advance(repo, CHANGSHA, 100_000)
    await advance(repo, CHANGSHA, 100_000)
    assert await balance(repo, CHANGSHA) == 100_000


async def test_an_advance_id_reused_with_another_amount_is_refused(repo: InMemoryClearingRepository) -> None:
    await advance(repo, CHANGSHA, 100_000)
    with pytest.raises(PrepaymentIdReused):
        await advance(repo, CHANGSHA, 100_001)


@pytest.mark.parametrize("amount", [0, -5, 10.0])
async def test_a_prepayment_is_a_positive_amount_of_whole_fen(amount: object) -> None:
    with pytest.raises(InvalidAmount):
        advance_prepayment([], entry_id="A1", scope_key="national", admdvs=CHANGSHA, amount=amount, at=at(1, 1))  # type: ignore[arg-type]  # bad on purpose


def test_a_provincial_platform_takes_prepayments_only_from_regions_of_its_province() -> None:
    assert advance_prepayment([], entry_id="A1", scope_key="provincial-43", admdvs=LOUDI, amount=1, at=at(1, 1))
    with pytest.raises(RegionNotInScope):
        advance_prepayment([], entry_id="A2", scope_key="provincial-43", admdvs=TAIYUAN, amount=1, at=at(1, 1))
