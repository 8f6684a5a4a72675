"""The first layer: what the pooling fund (or the maternity fund) pays of the in-scope costs.

Order inside the layer: deductible (起付线) first, then the fund's ratio on the rest, then the
annual caps (封顶线). What a cap stops stays with the patient and is reported as `above_cap`,
because the employee large-amount fund (大额) pays on exactly that part.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from libs.money import Fen, apply_ratio
from services.settlement.domain.accumulators import Accumulators
from services.settlement.domain.claim import OUTPATIENT_CARE, Claim
from services.settlement.domain.coverage import Coverage
from services.settlement.domain.policy_pack import PolicyPack
from services.settlement.domain.wording import care, level, ordinal, percent, yuan


@dataclass(frozen=True)
class BasicBenefit:
    fund: str  # "pooling" or "maternity"
    paid: Fen
    deductible: Fen  # act_pay_dedc
    ratio: Decimal  # pool_prop_selfpay
    above_cap: Fen
    delta: dict[str, int] = field(default_factory=dict)
    explanation: tuple[str, ...] = ()


def basic_benefit(claim: Claim, coverage: Coverage, acc: Accumulators, pack: PolicyPack, inscp: Fen) -> BasicBenefit:
    kind = claim.care
    if kind == "inpatient":
        return _inpatient(claim, coverage, acc, pack, inscp)
    if kind == "chronic":
        return _chronic(claim, acc, pack, inscp)
    if kind == "special_drug":
        ratio = pack.special_drugs.ratio
        why = f"special drug, {percent(ratio)} at a designated hospital or pharmacy alike, {pack.cite('special_drugs.ratio')}"
        return _pooled(pack, acc, inscp, 0, ratio, why, (), {})
    if kind in OUTPATIENT_CARE:
        return _outpatient(claim, coverage, acc, pack, inscp)
    return _maternity(claim, acc, pack, inscp)


def _inpatient(claim: Claim, coverage: Coverage, acc: Accumulators, pack: PolicyPack, inscp: Fen) -> BasicBenefit:
    rule, lv = pack.inpatient, claim.hosp_lv
    standard = rule.by_level[lv]
    admission = acc.admissions + 1
    where = f"{ordinal(admission)} admission in {acc.year}, {level(lv)}, {pack.cite(f'inpatient.deductible.{lv}')}"
    if admission > 1:
        due = apply_ratio(standard, rule.repeat_admission_ratio)
        lines = [f"deductible {yuan(due)} = {yuan(standard)} × {percent(rule.repeat_admission_ratio)}, {where}"]
    else:
        due = standard
        lines = [f"deductible {yuan(due)}: {where}"]
    room = max(0, rule.yearly_cap - acc.deductible_paid)
    if due > room:
        lines.append(
            f"deductible limited to {yuan(room)} by the yearly deductible cap {yuan(rule.yearly_cap)} "
            f"({yuan(acc.deductible_paid)} already applied in {acc.year}), {pack.cite('inpatient.deductible_yearly_cap')}"
        )
    deductible = min(due, room, inscp)
    if deductible < min(due, room):
        lines.append(f"deductible applied {yuan(deductible)}: the in-scope costs are only {yuan(inscp)}")
    ratio = pack.fund_ratio("inpatient", lv, coverage.retired)
    assert ratio is not None  # the pack reader requires an inpatient ratio for every level
    entry = pack.fund_ratios["inpatient"][lv]
    who = "" if entry.active == entry.retired else (" (retiree)" if coverage.retired else " (active employee)")
    why = f"inpatient care at a {level(lv)}{who}, {pack.cite(f'fund_ratios.inpatient.{lv}')}"
    delta = {"deductible_paid": deductible, "admissions": 1}
    return _pooled(pack, acc, inscp, deductible, ratio, why, tuple(lines), delta)


def _chronic(claim: Claim, acc: Accumulators, pack: PolicyPack, inscp: Fen) -> BasicBenefit:
    code = claim.opsp_dise_code or ""
    disease = pack.chronic.diseases[code]
    group = pack.chronic.groups[disease.group]
    room = max(0, group.deductible - acc.chronic_deductible_paid)
    deductible = min(room, inscp)
    cite = pack.cite(f"chronic.groups.{group.name}")
    lines = (
        f"chronic deductible {yuan(deductible)}: yearly {yuan(group.deductible)} for {group.name} "
        f"({yuan(acc.chronic_deductible_paid)} already applied), {disease.name} ({code}), {cite}",
    )
    why = f"{disease.name}, chronic group {group.name}, {cite}"
    return _pooled(pack, acc, inscp, deductible, group.ratio, why, lines, {"chronic_deductible_paid": deductible})


def _pooled(pack: PolicyPack, acc: Accumulators, inscp: Fen, deductible: Fen, ratio: Decimal, why: str,
            lines: tuple[str, ...], delta: dict[str, int]) -> BasicBenefit:
    """The pooling fund's share under its annual cap (inpatient, chronic and special-drug care)."""
    eligible = inscp - deductible
    room = max(0, pack.pooling_annual_cap - acc.pooling_paid)
    paid, computed, above = _share_under_cap(eligible, ratio, room)
    out = [*lines, f"pooling fund (hifp) {yuan(computed)} = ({yuan(inscp)} in scope − {yuan(deductible)} deductible) "
                   f"× {percent(ratio)}, {why}"]
    if paid < computed:
        out.append(
            f"pooling fund limited to {yuan(paid)} by the annual cap {yuan(pack.pooling_annual_cap)} "
            f"({yuan(acc.pooling_paid)} already paid); {yuan(above)} of in-scope costs lie above the cap, "
            f"{pack.cite('pooling_annual_cap')}"
        )
    return BasicBenefit("pooling", paid, deductible, ratio, above, {**delta, "pooling_paid": paid}, tuple(out))


def _outpatient(claim: Claim, coverage: Coverage, acc: Accumulators, pack: PolicyPack, inscp: Fen) -> BasicBenefit:
    kind, lv = claim.care, claim.hosp_lv
    ratio = pack.fund_ratio(kind, lv, coverage.retired)
    if ratio is None:
        why = f"pack {pack.id} gives no outpatient pooling for {care(kind)} at a {level(lv)}; the patient pays the in-scope costs"
        return BasicBenefit("pooling", 0, 0, Decimal(0), 0, {}, (why,))
    rule = pack.outpatient_pooling
    deductible = min(max(0, rule.deductible - acc.outpatient_deductible_paid), inscp)
    rooms = {"annual": rule.annual_cap - acc.outpatient_pooling_paid}
    if rule.per_day_cap is not None:
        rooms["per-day"] = rule.per_day_cap - acc.outpatient_pooling_paid_on_day
    binding = min(rooms, key=lambda name: rooms[name])
    paid, computed, above = _share_under_cap(inscp - deductible, ratio, max(0, rooms[binding]))
    lines = [
        f"outpatient pooling (hifp) {yuan(computed)} = ({yuan(inscp)} in scope − {yuan(deductible)} deductible) × "
        f"{percent(ratio)}, {care(kind)} at a {level(lv)}, {pack.cite(f'fund_ratios.{kind}.{lv}')}"
    ]
    if paid < computed:
        per_day = "none" if rule.per_day_cap is None else yuan(rule.per_day_cap)
        lines.append(
            f"outpatient pooling limited to {yuan(paid)} by its {binding} cap: per day {per_day} "
            f"({yuan(acc.outpatient_pooling_paid_on_day)} paid on {claim.service_date.isoformat()}), per year "
            f"{yuan(rule.annual_cap)} ({yuan(acc.outpatient_pooling_paid)} paid), {pack.cite('outpatient_pooling')}"
        )
    delta = {"outpatient_deductible_paid": deductible, "outpatient_pooling_paid": paid, "outpatient_pooling_paid_on_day": paid}
    return BasicBenefit("pooling", paid, deductible, ratio, above, delta, tuple(lines))


def _maternity(claim: Claim, acc: Accumulators, pack: PolicyPack, inscp: Fen) -> BasicBenefit:
    rule = pack.maternity
    fund_name = "maternity fund (oth_pay)" if rule.paid_by == "maternity" else "pooling fund (hifp)"
    if claim.care == "prenatal":
        room = max(0, rule.prenatal_annual_cap - acc.prenatal_paid)
        paid, computed, above = _share_under_cap(inscp, rule.prenatal_ratio, room)
        lines = [f"{fund_name} {yuan(paid)}: prenatal care {yuan(inscp)} × {percent(rule.prenatal_ratio)} = {yuan(computed)}, "
                 f"yearly cap {yuan(rule.prenatal_annual_cap)} ({yuan(acc.prenatal_paid)} already paid), "
                 f"{pack.cite('maternity.prenatal')}"]
        return BasicBenefit(rule.paid_by, paid, 0, rule.prenatal_ratio, above, {"prenatal_paid": paid}, tuple(lines))
    computed = apply_ratio(inscp, rule.delivery_ratio)
    standard = rule.delivery_standard
    paid = computed if standard is None else min(computed, standard)
    limit = "no fixed standard" if standard is None else f"up to the delivery standard {yuan(standard)}"
    lines = [f"{fund_name} {yuan(paid)}: delivery {yuan(inscp)} in scope × {percent(rule.delivery_ratio)}, {limit}, "
             f"{pack.cite('maternity.delivery')}"]
    return BasicBenefit(rule.paid_by, paid, 0, rule.delivery_ratio, 0, {}, tuple(lines))


def _share_under_cap(eligible: Fen, ratio: Decimal, room: Fen) -> tuple[Fen, Fen, Fen]:
    """(paid, computed, above_cap): the fund's share, what it would be uncapped, and the costs above the cap."""
    computed = apply_ratio(eligible, ratio)
    paid = min(computed, room)
    if paid == computed:
        return paid, computed, 0
    # The costs the cap lets through are the largest amount whose rounded share still fits in the
    # room (share × ratio < room + ½); defined so, one more fen of cost never adds more than one fen
    # to fund-plus-above-cap, which keeps the patient's share monotonic.
    covered = math.ceil((Fraction(room) + Fraction(1, 2)) / Fraction(ratio)) - 1
    return paid, computed, eligible - min(eligible, covered)
