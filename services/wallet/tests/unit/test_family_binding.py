import pytest

from services.wallet.domain import (
    AlreadyBound,
    BindingNotFound,
    BindRelative,
    ChangeUses,
    HolderHasNoAccount,
    HolderNotInsured,
    NotNearRelative,
    NoUseChosen,
    Relation,
    RelativeNotInsured,
    RevokeBinding,
    SelfBinding,
    Use,
    WalletPolicy,
    decide_binding,
    decide_revocation,
    decide_uses_change,
    medical_payers,
)
from services.wallet.tests.unit.builders import POLICY, binding, cst, employee, resident

BOTH = frozenset({Use.MEDICAL, Use.PREMIUM})


def bind(holder="H1", member="M1", relation=Relation.SPOUSE, uses=BOTH, at=None):
    return BindRelative(holder, member, relation, uses, at or cst())


def test_a_holder_binds_an_insured_spouse_for_medical_costs_and_premiums():
    b = decide_binding(bind(), None, employee("H1"), resident("M1"), POLICY)
    assert (b.holder, b.member, b.uses, b.active) == ("H1", "M1", BOTH, True)
    assert b.grants(Use.MEDICAL) and b.grants(Use.PREMIUM)


@pytest.mark.parametrize("relation", list(Relation))
def test_spouse_parents_children_and_other_near_relatives_can_be_bound_by_default(relation):
    assert decide_binding(bind(relation=relation), None, employee("H1"), resident("M1"), POLICY).relation is relation


def test_a_region_that_only_allows_spouse_parents_and_children_refuses_other_relatives():
    policy = WalletPolicy(allowed_relations=frozenset({Relation.SPOUSE, Relation.PARENT, Relation.CHILD}))
    with pytest.raises(NotNearRelative):
        decide_binding(bind(relation=Relation.NEAR_RELATIVE), None, employee("H1"), resident("M1"), policy)


def test_binding_oneself_is_refused():
    with pytest.raises(SelfBinding):
        decide_binding(bind(member="H1"), None, employee("H1"), employee("H1"), POLICY)


def test_a_holder_who_is_not_insured_cannot_bind():
    with pytest.raises(HolderNotInsured):
        decide_binding(bind(), None, employee("H1", insured=False), resident("M1"), POLICY)


def test_a_resident_has_no_personal_account_to_share():
    with pytest.raises(HolderHasNoAccount):
        decide_binding(bind(), None, resident("H1"), resident("M1"), POLICY)


def test_a_relative_who_is_not_insured_cannot_be_bound():
    with pytest.raises(RelativeNotInsured):
        decide_binding(bind(), None, employee("H1"), resident("M1", insured=False), POLICY)


def test_a_binding_needs_at_least_one_use():
    with pytest.raises(NoUseChosen):
        decide_binding(bind(uses=frozenset()), None, employee("H1"), resident("M1"), POLICY)


def test_binding_again_with_the_same_relation_and_uses_changes_nothing():
    first = decide_binding(bind(), None, employee("H1"), resident("M1"), POLICY)
    assert decide_binding(bind(at=cst(2025, 5, 1)), first, employee("H1"), resident("M1"), POLICY) == first


def test_binding_again_with_other_uses_is_refused_in_favour_of_changing_the_uses():
    first = decide_binding(bind(), None, employee("H1"), resident("M1"), POLICY)
    with pytest.raises(AlreadyBound):
        decide_binding(bind(uses=frozenset({Use.MEDICAL})), first, employee("H1"), resident("M1"), POLICY)


def test_the_holder_can_change_the_uses_of_a_binding():
    changed = decide_uses_change(ChangeUses("H1", "M1", frozenset({Use.PREMIUM}), cst()), binding("H1", "M1"))
    assert not changed.grants(Use.MEDICAL) and changed.grants(Use.PREMIUM)


def test_revoking_keeps_the_binding_as_history_and_revoking_again_changes_nothing():
    revoked = decide_revocation(RevokeBinding("H1", "M1", cst()), binding("H1", "M1"))
    assert not revoked.active and not revoked.grants(Use.MEDICAL)
    assert decide_revocation(RevokeBinding("H1", "M1", cst(2025, 4, 1)), revoked) == revoked


def test_revoking_a_binding_that_never_existed_is_refused():
    with pytest.raises(BindingNotFound):
        decide_revocation(RevokeBinding("H1", "M1", cst()), None)


def test_changing_the_uses_of_a_revoked_binding_is_refused():
    revoked = decide_revocation(RevokeBinding("H1", "M1", cst()), binding("H1", "M1"))
    with pytest.raises(BindingNotFound):
        decide_uses_change(ChangeUses("H1", "M1", BOTH, cst()), revoked)


def test_binding_again_after_revoking_starts_a_new_binding():
    revoked = decide_revocation(RevokeBinding("H1", "M1", cst()), binding("H1", "M1"))
    again = decide_binding(bind(at=cst(2025, 6, 1)), revoked, employee("H1"), resident("M1"), POLICY)
    assert again.active and again.bound_at == cst(2025, 6, 1)


def test_family_money_is_offered_by_the_earliest_bound_holder_first_then_by_holder_number():
    later = binding("H0", "M1", bound_at=cst(2025, 2, 1))
    tie_b = binding("HB", "M1", bound_at=cst(2025, 1, 1))
    tie_a = binding("HA", "M1", bound_at=cst(2025, 1, 1))
    premium_only = binding("HC", "M1", Use.PREMIUM, bound_at=cst(2024, 1, 1))
    someone_else = binding("HD", "M2")
    payers = medical_payers("M1", [later, tie_b, premium_only, tie_a, someone_else])
    assert [b.holder for b in payers] == ["HA", "HB", "H0"]
