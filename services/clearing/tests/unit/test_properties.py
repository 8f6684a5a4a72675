"""Properties of clearing that must hold for any history of facts, closes and redeliveries."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.clearing.domain import (
    ClaimFact,
    CycleClosing,
    Obligation,
    apply_prepayments,
    bilateral_totals,
    net_positions,
)
from services.clearing.tests.unit import flows
from services.clearing.tests.unit.builders import CHANGSHA, GUIYANG, LOUDI, TAIYUAN, at, cancelled, settled
from services.clearing.tests.unit.fakes import InMemoryClearingRepository

REGIONS = [CHANGSHA, LOUDI, TAIYUAN, GUIYANG]
region_pairs = st.tuples(st.sampled_from(REGIONS), st.sampled_from(REGIONS)).filter(lambda p: p[0] != p[1])
fund_amounts = st.dictionaries(st.sampled_from(["hifp", "hifmi", "maf"]), st.integers(0, 5_000_000), max_size=3)
signed_totals = st.dictionaries(region_pairs, st.integers(-10_000_000, 10_000_000), max_size=12)
Steps = list[tuple[str, int]]
# Whole histories through the fake: fewer examples, and no per-example deadline on a busy CI machine.
histories_settings = settings(max_examples=50, deadline=None)


@st.composite
def claims(draw: st.DrawFn) -> list[ClaimFact]:
    result = []
    for n in range(draw(st.integers(1, 6))):
        insured, treatment = draw(region_pairs)
        result.append(settled(f"S{n}", insured=insured, treatment=treatment, funds=draw(fund_amounts)))
    return result


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[ClaimFact], Steps]:
    """Claims, and steps an hour apart: settle claim i, cancel it, roll it back out of the last closed
    cycle of its scope (when it is an item there), or close every open cycle."""
    facts = draw(claims())
    claim_steps = st.tuples(st.sampled_from(["settle", "cancel", "roll_back"]), st.integers(0, len(facts) - 1))
    return facts, draw(st.lists(st.one_of(claim_steps, st.just(("close", 0))), max_size=20))


@dataclass
class Run:
    repo: InMemoryClearingRepository = field(default_factory=InMemoryClearingRepository)
    closings: list[CycleClosing] = field(default_factory=list)
    misplaced: list[Obligation] = field(default_factory=list)


async def play(facts: list[ClaimFact], steps: Steps, redeliver_after: frozenset[int] = frozenset()) -> Run:
    """Play the steps; after each step in `redeliver_after`, send every fact so far again, at the same time."""
    run, sent = Run(), []
    for k, (action, i) in enumerate(steps):
        now = at(1, 1) + timedelta(hours=k)
        if action == "close":
            for cycle in await run.repo.open_cycles():
                run.closings.append(await flows.close(run.repo, cycle.cycle_id, now))
            continue
        if action == "roll_back":
            run.misplaced += await roll_back_if_an_item(run, facts[i], now)
            continue
        fact = facts[i] if action == "settle" else cancelled(facts[i])
        scope = fact.scope
        open_before = await run.repo.open_cycle(scope.key) if scope else None
        rows = await flows.receive(run.repo, fact, now)
        run.misplaced += [r for r in rows if open_before and r.cycle_id != open_before.cycle_id]
        sent.append(fact)
        if k in redeliver_after:
            for again in sent:
                assert await flows.receive(run.repo, again, now) == []
    return run


async def roll_back_if_an_item(run: Run, fact: ClaimFact, now: datetime) -> list[Obligation]:
    """Roll the claim back out of its scope's last closed cycle; returns returned rows that missed the open cycle."""
    scope = fact.scope
    if scope is None:
        return []
    closed = [c.closed.cycle_id for c in run.closings if c.closed.scope_key == scope.key]
    if not closed or fact.setl_id not in {line.setl_id for line in await flows.detail(run.repo, closed[-1], fact.fixmedins_code)}:
        return []
    open_cycle = await run.repo.open_cycle(scope.key)
    _, returned = await flows.roll_back(run.repo, closed[-1], fact.fixmedins_code, [fact.setl_id], now)
    return [r for r in returned if open_cycle is None or r.cycle_id != open_cycle.cycle_id]


def obligation(n: int, insured: str, treatment: str, amount: int) -> Obligation:
    return Obligation(f"S{n}/settled/hifp", "c", "settled", f"S{n}", f"C{n}", "H", insured, treatment, "hifp",
                      amount, at(1, 1), at(1, 1))


@given(signed_totals)
def test_net_positions_of_a_cycle_sum_to_zero(bilateral: dict) -> None:
    assert sum(p.net for p in net_positions("c", bilateral)) == 0


@given(st.lists(st.tuples(region_pairs, st.integers(-1_000_000, 1_000_000)), max_size=30))
def test_netting_preserves_each_regions_receivable_minus_payable(draws: list) -> None:
    rows = [obligation(n, insured, treatment, amount) for n, ((insured, treatment), amount) in enumerate(draws)]
    expected: dict[str, int] = {}
    for o in rows:
        expected[o.mdtrtarea_admvs] = expected.get(o.mdtrtarea_admvs, 0) + o.amount
        expected[o.insuplc_admdvs] = expected.get(o.insuplc_admdvs, 0) - o.amount
    positions = net_positions("c", bilateral_totals(rows))
    assert {p.admdvs: p.net for p in positions} == expected
    assert all(p.gross_payable >= 0 and p.gross_receivable >= 0 for p in positions)


@given(signed_totals, st.dictionaries(st.sampled_from(REGIONS), st.integers(0, 20_000_000)))
def test_prepayments_never_exceed_a_balance_and_the_cash_still_balances(bilateral: dict, balances: dict) -> None:
    positions, applied = apply_prepayments(net_positions("c", bilateral), balances, scope_key="national", at=at(2, 1))
    assert sum(p.cash_to_receive for p in positions) == sum(p.cash_to_pay + p.prepayment_applied for p in positions)
    for p in positions:
        assert 0 <= p.prepayment_applied <= balances.get(p.admdvs, 0) and p.cash_to_pay >= 0
        assert p.prepayment_applied == 0 or p.net < 0
    assert sum(e.amount for e in applied) == sum(p.prepayment_applied for p in positions)


@histories_settings
@given(histories())
def test_every_obligation_lands_in_exactly_one_cycle_the_one_open_when_it_arrived(history) -> None:
    async def scenario() -> None:
        run = await play(*history)
        assert run.misplaced == []
        cycles = {c.cycle_id: c for c in run.repo.all_cycles()}
        per_cycle = [o.obligation_id for cycle_id in cycles for o in await run.repo.obligations_of_cycle(cycle_id)]
        every = run.repo.all_obligations()
        assert sorted(per_cycle) == sorted(o.obligation_id for o in every)
        for o in every:
            cycle = cycles[o.cycle_id]
            assert cycle.opened_at <= o.arrived_at and (cycle.closed_at is None or o.arrived_at < cycle.closed_at)

    asyncio.run(scenario())


@histories_settings
@given(histories())
def test_every_closed_cycle_nets_to_zero_and_matches_its_obligations(history) -> None:
    async def scenario() -> None:
        run = await play(*history)
        for closing in run.closings:
            by_region: dict[str, int] = {}
            for o in await run.repo.obligations_of_cycle(closing.closed.cycle_id):
                if not o.between_regions:
                    continue
                by_region[o.mdtrtarea_admvs] = by_region.get(o.mdtrtarea_admvs, 0) + o.amount
                by_region[o.insuplc_admdvs] = by_region.get(o.insuplc_admdvs, 0) - o.amount
            assert sum(p.net for p in closing.net_positions) == 0
            assert {p.admdvs: p.net for p in closing.net_positions} == by_region

    asyncio.run(scenario())


@histories_settings
@given(claims(), st.sets(st.integers(0, 5)))
def test_a_claim_settled_and_cancelled_in_the_same_cycle_nets_to_nothing(facts: list[ClaimFact], cancelled_ones: set) -> None:
    async def close_january(with_cancellations: bool) -> dict[tuple[str, str], tuple[int, int, int]]:
        repo = InMemoryClearingRepository()
        for n, fact in enumerate(facts):
            if n in cancelled_ones:
                if not with_cancellations:
                    continue
                await flows.receive(repo, fact, at(1, 10))
                await flows.receive(repo, cancelled(fact), at(1, 11))
            else:
                await flows.receive(repo, fact, at(1, 10))
        positions = []
        for cycle in await repo.open_cycles():
            positions += (await flows.close(repo, cycle.cycle_id, at(2, 1))).net_positions
        return {
            (p.cycle_id, p.admdvs): (p.gross_payable, p.gross_receivable, p.net)
            for p in positions if p.gross_payable or p.gross_receivable
        }

    async def scenario() -> None:
        assert await close_january(True) == await close_january(False)

    asyncio.run(scenario())


@histories_settings
@given(histories(), st.sets(st.integers(0, 19)))
def test_redelivered_facts_change_nothing(history: tuple[list[ClaimFact], Steps], redeliver_after: set[int]) -> None:
    facts, steps = history

    async def scenario() -> None:
        once = await play(facts, steps)
        again = await play(facts, steps, frozenset(redeliver_after))
        assert again.repo.snapshot() == once.repo.snapshot()

    asyncio.run(scenario())
