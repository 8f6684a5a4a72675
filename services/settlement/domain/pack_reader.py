"""Turn a parsed pack document into a `PolicyPack`, refusing it with a precise message if invalid.

Plain dataclasses and explicit checks rather than a schema library: the domain stays free of
frameworks, and each check can say in the pack author's words what is wrong and where.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from services.settlement.domain.claim import HOSPITAL_LEVELS, INSUTYPES
from services.settlement.domain.document import Node
from services.settlement.domain.policy_pack import (
    Assistance,
    AssistanceGroup,
    ChronicCare,
    ChronicDisease,
    ChronicGroup,
    CriticalIllness,
    Exclusions,
    FundRatio,
    InpatientDeductible,
    Maternity,
    OutpatientPooling,
    PolicyPack,
    SpecialDrugs,
    Tier,
)

_TOP_KEYS = (
    "id", "name", "region", "insutype", "effective_from", "effective_to", "sources", "assumed",
    "inpatient", "fund_ratios", "pooling_annual_cap", "outpatient_pooling", "chronic",
    "special_drugs", "maternity", "critical_illness", "assistance", "cross_region", "exclusions",
    "manual_reimbursement",
)
_RATIO_CARE = ("inpatient", "outpatient", "emergency", "pharmacy")
_LAYERED_CARE = ("inpatient", "chronic", "special_drug")
_ID = re.compile(r"^(\d{6})-(\d{3})-(\d{4})(-[a-z0-9]+)?$")


def parse_pack(document: Any, source: str) -> PolicyPack:
    """Validate a pack document (as parsed from YAML); `source` names the file in errors."""
    root = Node(source, document)
    root.mapping(_TOP_KEYS)
    region, insutype = root["region"].code(6), root["insutype"].choice(INSUTYPES)
    effective_from, effective_to = root["effective_from"].day(), root["effective_to"].day()
    if effective_to < effective_from:
        raise root["effective_to"].fail(f"ends before effective_from {effective_from}")
    pack_id = _pack_id(root["id"], region, insutype, effective_from.year)
    assumed = frozenset(n.text() for n in root["assumed"].elements())
    for path in sorted(assumed):
        if not root.resolves(path):
            raise root["assumed"].fail(f"{path!r} names no parameter of this pack")
    return PolicyPack(
        id=pack_id,
        name=root["name"].text(),
        region=region,
        insutype=insutype,
        effective_from=effective_from,
        effective_to=effective_to,
        inpatient=_inpatient(root["inpatient"]),
        fund_ratios=_fund_ratios(root["fund_ratios"]),
        pooling_annual_cap=root["pooling_annual_cap"].yuan(),
        outpatient_pooling=_outpatient(root["outpatient_pooling"]),
        chronic=_chronic(root["chronic"]),
        special_drugs=_special_drugs(root["special_drugs"]),
        maternity=_maternity(root["maternity"]),
        critical_illness=_critical_illness(root["critical_illness"]),
        assistance=_assistance(root["assistance"]),
        emergency_without_filing=_cross_region(root["cross_region"]),
        exclusions=_exclusions(root["exclusions"]),
        reimbursement_time_limit_days=_manual_reimbursement(root["manual_reimbursement"]),
        assumed=assumed,
        sources=tuple(n.text() for n in root["sources"].elements()),
    )


def _pack_id(node: Node, region: str, insutype: str, year: int) -> str:
    value = node.text()
    match = _ID.match(value)
    if not match or match.group(1, 2, 3) != (region, insutype, str(year)):
        raise node.fail(
            f"expected {region}-{insutype}-{year} (region-insutype-year, optionally -suffix), "
            f"got {value!r}"
        )
    return value


def _by_level(node: Node, read: Any, *, all_levels: bool) -> Mapping[str, Any]:
    node.mapping(HOSPITAL_LEVELS)
    values = {level: read(child) for level, child in node.items()}
    missing = [level for level in HOSPITAL_LEVELS if level not in values]
    if all_levels and missing:
        raise node.fail(f"missing hospital level {missing[0]!r}; every level needs a value")
    return values


def _fund_ratio(node: Node) -> FundRatio:
    if isinstance(node.value, Mapping):
        node.mapping(("active", "retired"))
        return FundRatio(active=node["active"].ratio(), retired=node["retired"].ratio())
    value = node.ratio()
    return FundRatio(active=value, retired=value)


def _fund_ratios(node: Node) -> Mapping[str, Mapping[str, FundRatio]]:
    node.mapping(_RATIO_CARE)
    ratios: dict[str, Mapping[str, FundRatio]] = {}
    for care, child in node.items():
        # A care kind gives one ratio for every level, or a ratio per level (missing: no benefit).
        is_per_level = isinstance(child.value, Mapping) and not {"active", "retired"} & set(child.mapping())
        if is_per_level:
            ratios[care] = _by_level(child, _fund_ratio, all_levels=care == "inpatient")
        else:
            ratios[care] = dict.fromkeys(HOSPITAL_LEVELS, _fund_ratio(child))
    if "inpatient" not in ratios:
        raise node.fail("missing key 'inpatient'")
    return ratios


def _inpatient(node: Node) -> InpatientDeductible:
    node.mapping(("deductible", "repeat_admission_ratio", "deductible_yearly_cap"))
    return InpatientDeductible(
        by_level=_by_level(node["deductible"], Node.yuan, all_levels=True),
        repeat_admission_ratio=node["repeat_admission_ratio"].ratio(),
        yearly_cap=node["deductible_yearly_cap"].yuan(),
    )


def _outpatient(node: Node) -> OutpatientPooling:
    node.mapping(("deductible", "per_day_cap", "annual_cap"))
    per_day = node.nullable("per_day_cap")
    return OutpatientPooling(
        deductible=node["deductible"].yuan(),
        per_day_cap=per_day.yuan() if per_day else None,
        annual_cap=node["annual_cap"].yuan(),
    )


def _chronic(node: Node) -> ChronicCare:
    node.mapping(("approval_required", "groups", "diseases"))
    groups = {}
    for name, child in node["groups"].items():
        child.mapping(("deductible", "ratio"))
        groups[name] = ChronicGroup(name, child["deductible"].yuan(), child["ratio"].ratio())
    diseases = {}
    for child in node["diseases"].elements():
        child.mapping(("code", "name", "group"))
        code, group = child["code"].text(), child["group"].text()
        if group not in groups:
            raise child["group"].fail(f"no chronic group {group!r}; groups are {', '.join(groups)}")
        if code in diseases:
            raise child["code"].fail(f"disease {code!r} is listed twice")
        diseases[code] = ChronicDisease(code, child["name"].text(), group)
    return ChronicCare(node["approval_required"].boolean(), groups, diseases)


def _special_drugs(node: Node) -> SpecialDrugs:
    node.mapping(("ratio", "fixed_channel"))
    return SpecialDrugs(ratio=node["ratio"].ratio(), fixed_channel=node["fixed_channel"].boolean())


def _maternity(node: Node) -> Maternity:
    node.mapping(("paid_by", "delivery", "prenatal"))
    delivery, prenatal = node["delivery"], node["prenatal"]
    delivery.mapping(("ratio", "standard"))
    prenatal.mapping(("ratio", "annual_cap"))
    standard = delivery.nullable("standard")
    return Maternity(
        paid_by=node["paid_by"].choice(("pooling", "maternity")),
        delivery_ratio=delivery["ratio"].ratio(),
        delivery_standard=standard.yuan() if standard else None,
        prenatal_ratio=prenatal["ratio"].ratio(),
        prenatal_annual_cap=prenatal["annual_cap"].yuan(),
    )


def _critical_illness(node: Node) -> CriticalIllness:
    node.mapping((
        "basis", "threshold", "tiers", "annual_cap", "continuous_years_before_increment",
        "increment_per_continuous_year", "increment_per_no_claim_year", "increment_limit", "applies_to",
    ))
    threshold = node["threshold"].yuan()
    tiers: list[Tier] = []
    floor = threshold
    for child in node["tiers"].elements():
        child.mapping(("up_to", "ratio"))
        if tiers and tiers[-1].up_to is None:
            raise child.fail("only the last tier may be open-ended (up_to: null)")
        bound = child.nullable("up_to")
        up_to = bound.yuan() if bound else None
        if up_to is not None and up_to <= floor:
            raise child["up_to"].fail("tiers must rise above the threshold and the previous tier")
        tiers.append(Tier(up_to, child["ratio"].ratio()))
        floor = up_to if up_to is not None else floor
    if not tiers or tiers[-1].up_to is not None:
        raise node["tiers"].fail("the last tier must be open-ended (up_to: null)")
    limit = node.nullable("increment_limit")
    return CriticalIllness(
        basis=node["basis"].choice(("in_scope_copay", "above_pooling_cap")),
        threshold=threshold,
        tiers=tuple(tiers),
        annual_cap=node["annual_cap"].yuan(),
        continuous_years_before_increment=node["continuous_years_before_increment"].whole_number(),
        increment_per_continuous_year=node["increment_per_continuous_year"].yuan(),
        increment_per_no_claim_year=node["increment_per_no_claim_year"].yuan(),
        increment_limit=limit.yuan() if limit else None,
        applies_to=_care_list(node["applies_to"]),
    )


def _assistance(node: Node) -> Assistance:
    node.mapping(("applies_to", "groups"))
    groups = {}
    for name, child in node["groups"].items():
        child.mapping(("ratio", "annual_cap"))
        groups[name] = AssistanceGroup(name, child["ratio"].ratio(), child["annual_cap"].yuan())
    return Assistance(applies_to=_care_list(node["applies_to"]), groups=groups)


def _care_list(node: Node) -> frozenset[str]:
    return frozenset(child.choice(_LAYERED_CARE) for child in node.elements())


def _cross_region(node: Node) -> bool:
    node.mapping(("emergency_without_filing",))
    return node["emergency_without_filing"].boolean()


def _exclusions(node: Node) -> Exclusions:
    node.mapping(("work_injury", "cosmetic", "repeat_large_exam_within_days"))
    days = node.nullable("repeat_large_exam_within_days")
    return Exclusions(
        work_injury=node["work_injury"].boolean(),
        cosmetic=node["cosmetic"].boolean(),
        repeat_large_exam_within_days=days.whole_number() if days else None,
    )



def _manual_reimbursement(node: Node) -> int | None:
    node.mapping(("time_limit_days",))
    days = node.nullable("time_limit_days")
    return days.whole_number() if days else None
