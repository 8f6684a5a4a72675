"""Wire contracts to domain commands, and domain outcomes to wire events: nothing else.

The wire speaks the national interface (`psn_no`, `relative_psn_no`, `balc`); the domain speaks of
holders, members and draws. The time of every operation is the wallet's clock when it runs it, so the
night window and the year are the wallet's to judge, not the sender's. Times go out in UTC, as stored,
so a first answer and its replay read the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from libs.contracts import claims as c
from libs.contracts import wallet as w
from services.wallet import domain as d


def pay_personal_part(m: c.ClaimAdjudicated, at: datetime) -> d.PayPersonalPart:
    return d.PayPersonalPart(m.claim_id, m.setl_id, m.psn_no, m.fixmedins_code, m.psn_part_amt, m.acct_used_flag, at)


def personal_part_paid(p: d.ClaimPayment) -> c.PersonalPartPaid:
    return c.PersonalPartPaid(claim_id=p.claim_id, setl_id=p.setl_id, psn_no=p.psn_no, acct_pay=p.acct_pay,
                              acct_mulaid_pay=p.acct_mulaid_pay, psn_cash_pay=p.psn_cash_pay, balc=p.balc)


def refund_personal_part(m: c.ClaimCancellationAdjudicated, at: datetime) -> d.RefundPersonalPart:
    return d.RefundPersonalPart(m.claim_id, m.cancel_id, m.setl_id, m.psn_no, m.fixmedins_code, at)


def personal_part_refunded(r: d.ClaimRefund) -> c.PersonalPartRefunded:
    return c.PersonalPartRefunded(claim_id=r.claim_id, cancel_id=r.cancel_id, setl_id=r.setl_id, psn_no=r.psn_no,
                                  acct_pay=r.acct_pay, acct_mulaid_pay=r.acct_mulaid_pay,
                                  psn_cash_pay=r.psn_cash_pay, balc=r.balc)


def credit_account(m: w.CreditPersonalAccount, region: str, at: datetime) -> d.CreditAccount:
    return d.CreditAccount(m.credit_id, m.psn_no, m.amount, d.CreditKind(m.kind), region, m.year, at)


def account_credited(cr: d.Credited) -> w.AccountCredited:
    return w.AccountCredited(credit_id=cr.credit_id, psn_no=cr.psn_no, amount=cr.amount, balc=cr.balc)


def uses(names: Iterable[str]) -> frozenset[d.Use]:
    return frozenset(d.Use(u) for u in names)


def bind_relative(m: w.BindRelative, at: datetime) -> d.BindRelative:
    return d.BindRelative(m.psn_no, m.relative_psn_no, d.Relation(m.relation), uses(m.uses), at)


def change_uses(m: w.ChangeMutualAidUses, at: datetime) -> d.ChangeUses:
    return d.ChangeUses(m.psn_no, m.relative_psn_no, uses(m.uses), at)


def revoke_binding(m: w.RevokeBinding, at: datetime) -> d.RevokeBinding:
    return d.RevokeBinding(m.psn_no, m.relative_psn_no, at)


def binding_changed(command_id: str, b: d.Binding) -> w.BindingChanged:
    return w.BindingChanged(
        command_id=command_id, psn_no=b.holder, relative_psn_no=b.member, relation=b.relation.value,
        uses=sorted(u.value for u in b.uses), bound_at=_utc(b.bound_at),
        revoked_at=_utc(b.revoked_at) if b.revoked_at else None, active=b.active,
    )


def transfer_to_relative(m: w.TransferToRelative, at: datetime) -> d.TransferToRelative:
    return d.TransferToRelative(m.transfer_id, m.psn_no, m.relative_psn_no, m.amount, at)


def transfer_completed(t: d.Transfer) -> w.TransferCompleted:
    return w.TransferCompleted(transfer_id=t.transfer_id, psn_no=t.holder, relative_psn_no=t.recipient,
                               amount=t.amount, balc=t.holder_balc, transferred_at=_utc(t.transferred_at))


def pay_resident_premium(m: w.PayRelativePremium, region: str, at: datetime) -> d.PayResidentPremium:
    return d.PayResidentPremium(m.payment_id, m.psn_no, m.relative_psn_no, m.amount, m.coverage_year, region, at)


def relative_premium_paid(p: d.PremiumPayment) -> w.RelativePremiumPaid:
    return w.RelativePremiumPaid(payment_id=p.payment_id, payer_psn_no=p.holder, psn_no=p.member,
                                 coverage_year=p.coverage_year, amount=p.amount, paid_at=_utc(p.paid_at))


def _utc(at: datetime) -> datetime:
    return at.astimezone(UTC)
