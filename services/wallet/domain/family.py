"""Family mutual aid (家庭共济): a holder lets near relatives use the holder's personal account.

The holder (an insured employee with a personal account) binds a relative who is insured too, and
chooses the uses: paying the relative's self-pay medical costs (共济支付) and/or the relative's
resident premiums (共济缴费). A binding is one-way: holder's money, member's costs. Revoking keeps the
binding as history; binding again later starts a new one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from services.wallet.domain.accounts import check_identifier
from services.wallet.domain.clock import check_aware
from services.wallet.domain.errors import (
    AlreadyBound,
    BindingNotFound,
    HolderHasNoAccount,
    HolderNotInsured,
    InvalidRequest,
    NotNearRelative,
    NoUseChosen,
    RelativeNotInsured,
    SelfBinding,
)

if TYPE_CHECKING:
    from services.wallet.domain.policy import WalletPolicy


class Relation(StrEnum):
    SPOUSE = "spouse"
    PARENT = "parent"
    CHILD = "child"
    NEAR_RELATIVE = "near_relative"  # 其他近亲属: siblings, grandparents, grandchildren


class Use(StrEnum):
    MEDICAL = "medical"  # 共济支付: the member's self-pay medical costs
    PREMIUM = "premium"  # 共济缴费: the member's resident premiums


@dataclass(frozen=True)
class InsuranceStatus:
    """What the enrollment projection says about a person at the time of binding."""

    psn_no: str
    insured: bool
    has_personal_account: bool


@dataclass(frozen=True)
class Binding:
    holder: str
    member: str
    relation: Relation
    uses: frozenset[Use]
    bound_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def grants(self, use: Use) -> bool:
        return self.active and use in self.uses


@dataclass(frozen=True)
class BindRelative:
    holder: str
    member: str
    relation: Relation
    uses: frozenset[Use]
    at: datetime


@dataclass(frozen=True)
class ChangeUses:
    holder: str
    member: str
    uses: frozenset[Use]
    at: datetime


@dataclass(frozen=True)
class RevokeBinding:
    holder: str
    member: str
    at: datetime


def decide_binding(
    cmd: BindRelative, latest: Binding | None, holder: InsuranceStatus, member: InsuranceStatus,
    policy: WalletPolicy,
) -> Binding:
    """The binding to save. Binding again with the same relation and uses changes nothing."""
    check_pair(cmd.holder, cmd.member, cmd.at)
    if (holder.psn_no, member.psn_no) != (cmd.holder, cmd.member):
        raise InvalidRequest("The insurance facts given are not those of the holder and the relative.")
    check_near_relative(cmd.relation, policy)
    check_uses_chosen(cmd.uses)
    check_holder_can_share(holder)
    if not member.insured:
        raise RelativeNotInsured(f"{cmd.member} is not insured now; only an insured relative can be bound.")
    if latest is not None and latest.active:
        if (latest.relation, latest.uses) == (cmd.relation, cmd.uses):
            return latest
        raise AlreadyBound(f"{cmd.member} is already bound to {cmd.holder}; change the uses instead of binding again.")
    return Binding(cmd.holder, cmd.member, cmd.relation, cmd.uses, bound_at=cmd.at)


def decide_uses_change(cmd: ChangeUses, latest: Binding | None) -> Binding:
    check_pair(cmd.holder, cmd.member, cmd.at)
    check_uses_chosen(cmd.uses)
    if latest is None or not latest.active:
        raise BindingNotFound(f"{cmd.member} is not bound to {cmd.holder}.")
    return replace(latest, uses=cmd.uses)


def decide_revocation(cmd: RevokeBinding, latest: Binding | None) -> Binding:
    """The revoked binding; revoking one already revoked changes nothing."""
    check_pair(cmd.holder, cmd.member, cmd.at)
    if latest is None:
        raise BindingNotFound(f"{cmd.member} has never been bound to {cmd.holder}.")
    if not latest.active:
        return latest
    return replace(latest, revoked_at=cmd.at)


def medical_payers(member: str, bindings: Iterable[Binding]) -> tuple[Binding, ...]:
    """The member's active medical-use bindings in paying order: earliest bound first, then by holder."""
    granted = (b for b in bindings if b.member == member != b.holder and b.grants(Use.MEDICAL))
    return tuple(sorted(granted, key=lambda b: (b.bound_at, b.holder)))


def check_pair(holder: str, member: str, at: datetime) -> None:
    check_identifier(holder, "holder's 人员编号")
    check_identifier(member, "relative's 人员编号")
    check_aware(at)
    if holder == member:
        raise SelfBinding("A holder cannot bind their own account to themselves.")


def check_near_relative(relation: Relation, policy: WalletPolicy) -> None:
    if relation not in policy.allowed_relations:
        allowed = ", ".join(sorted(r.value for r in policy.allowed_relations))
        raise NotNearRelative(f"Only these relatives can be bound here: {allowed}.")


def check_uses_chosen(uses: frozenset[Use]) -> None:
    if not isinstance(uses, frozenset) or not uses or not all(isinstance(u, Use) for u in uses):
        raise NoUseChosen(
            "Choose at least one use: medical self-pay (共济支付) or resident premiums (共济缴费).")


def check_holder_can_share(holder: InsuranceStatus) -> None:
    if not holder.insured:
        raise HolderNotInsured(f"{holder.psn_no} is not insured now and cannot share an account.")
    if not holder.has_personal_account:
        raise HolderHasNoAccount(f"{holder.psn_no} has no personal account to share (residents have none).")
