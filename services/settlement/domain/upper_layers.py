"""The second and third layers: critical illness (大病 / 大额) and medical assistance (医疗救助).

Both pay only on in-scope costs the patient still carries after the layer below, so the patient's
out-of-scope costs (全自费, 超限价, 先行自付) are never paid by a fund.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from libs.money import Fen, apply_ratio
from services.settlement.domain.accumulators import Accumulators
from services.settlement.domain.basic_benefit import BasicBenefit
from services.settlement.domain.claim import Claim
from services.settlement.domain.coverage import Coverage
from services.settlement.domain.policy_pack import PolicyPack
from services.settlement.domain.wording import care, percent, yuan


@dataclass(frozen=True)
class LayerPayment:
    paid: Fen = 0
    delta: dict[str, int] = field(default_factory=dict)
    explanation: tuple[str, ...] = ()


def critical_illness(claim: Claim, coverage: Coverage, acc: Accumulators, pack: PolicyPack,
                     basic: BasicBenefit, inscp: Fen) -> LayerPayment:
    """Pays tiered ratios on the year's counted costs above the threshold, up to the annual cap.

    Residents count their in-scope co-payment (deductible, co-insurance and costs above the pooling
    cap); employees count only the costs above the pooling cap (大额医疗费用补助).
    """
    rule = pack.critical_illness
    if claim.care not in rule.applies_to:
        return LayerPayment()
    basis = inscp - basic.paid if rule.basis == "in_scope_copay" else basic.above_cap
    if basis == 0:
        return LayerPayment()
    start, end = acc.critical_illness_base, acc.critical_illness_base + basis
    computed, parts, lower = 0, [], rule.threshold
    for tier in rule.tiers:
        upper = end if tier.up_to is None else tier.up_to
        overlap = max(0, min(end, upper) - max(start, lower))
        if overlap:
            computed += apply_ratio(overlap, tier.ratio)
            parts.append(f"{yuan(overlap)} × {percent(tier.ratio)}")
        lower = max(lower, upper)
    increment = rule.increment(coverage.continuous_years, coverage.no_claim_years)
    cap = rule.annual_cap + increment
    paid = min(computed, max(0, cap - acc.critical_illness_paid))
    fund = "hifob" if claim.insutype != "390" else "hifmi"
    counted = "in-scope co-payment" if rule.basis == "in_scope_copay" else "in-scope costs above the pooling cap"
    rise = f"this year's {counted} rises from {yuan(start)} to {yuan(end)}"
    if not parts:
        return LayerPayment(0, {"critical_illness_base": basis}, (
            f"critical illness ({fund}) 0.00: {rise}, below the threshold {yuan(rule.threshold)}, "
            f"{pack.cite('critical_illness.threshold')}",
        ))
    lines = [
        f"critical illness ({fund}) {yuan(computed)} = {' + '.join(parts)}: {rise}, above the threshold "
        f"{yuan(rule.threshold)}, {pack.cite('critical_illness.tiers')}"
    ]
    if increment:
        lines.append(
            f"critical-illness cap {yuan(cap)} = {yuan(rule.annual_cap)} + {yuan(increment)} for "
            f"{coverage.continuous_years} continuous years and {coverage.no_claim_years} no-claim years, "
            f"{pack.cite('critical_illness.increment_per_continuous_year')}"
        )
    if paid < computed:
        lines.append(
            f"critical illness limited to {yuan(paid)} by the cap {yuan(cap)} ({yuan(acc.critical_illness_paid)} already paid)"
        )
    return LayerPayment(paid, {"critical_illness_base": basis, "critical_illness_paid": paid}, tuple(lines))


def assistance(claim: Claim, coverage: Coverage, acc: Accumulators, pack: PolicyPack, remaining: Fen) -> LayerPayment:
    """Medical assistance pays a share of the in-scope costs still left to a hardship-group patient."""
    rule, group_name = pack.assistance, coverage.hardship_group
    if group_name in (None, "none") or remaining == 0:
        return LayerPayment()
    if claim.care not in rule.applies_to:
        return LayerPayment(0, {}, (f"medical assistance does not cover {care(claim.care)} in pack {pack.id}",))
    group = rule.groups.get(group_name)
    if group is None:
        return LayerPayment(0, {}, (f"pack {pack.id} has no medical-assistance parameters for group {group_name!r}",))
    computed = apply_ratio(remaining, group.ratio)
    paid = min(computed, max(0, group.annual_cap - acc.assistance_paid))
    lines = [f"medical assistance (maf) {yuan(computed)} = {yuan(remaining)} in-scope costs left × {percent(group.ratio)}, "
             f"group {group_name}, {pack.cite(f'assistance.groups.{group_name}')}"]
    if paid < computed:
        lines.append(f"medical assistance limited to {yuan(paid)} by the yearly cap {yuan(group.annual_cap)} "
                     f"({yuan(acc.assistance_paid)} already paid)")
    return LayerPayment(paid, {"assistance_paid": paid}, tuple(lines))
