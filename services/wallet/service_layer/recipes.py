"""The recipe each wallet operation follows against a `WalletBook`: lock, read, decide, record.

The handlers run these inside the transaction the consumer runtime (or the HTTP endpoint) opened and
publish the outcome through the outbox; the unit tests drive `FakeLedger` through the same code.
"""

from __future__ import annotations

from datetime import datetime

from services.wallet.domain import (
    Binding,
    BindRelative,
    ChangeUses,
    ClaimPayment,
    ClaimRefund,
    ClaimRunBook,
    CreditAccount,
    Credited,
    InsuranceStatus,
    LocksIncomplete,
    PayPersonalPart,
    PayResidentPremium,
    PersonalAccount,
    PremiumPayment,
    RefundPersonalPart,
    RevokeBinding,
    Transfer,
    TransferToRelative,
    WalletBook,
    WalletPolicy,
    china_day,
    decide_binding,
    decide_claim_payment,
    decide_claim_refund,
    decide_credit,
    decide_premium_payment,
    decide_revocation,
    decide_rollover,
    decide_transfer,
    decide_uses_change,
    rows_for_binding,
    rows_for_claim_payment,
    rows_for_claim_refund,
    rows_for_credit,
    rows_for_premium_payment,
    rows_for_transfer,
)

ATTEMPTS = 3


async def credit(book: WalletBook, cmd: CreditAccount) -> Credited:
    accounts = await book.lock_accounts(rows_for_credit(cmd.psn_no))
    decision = decide_credit(cmd, accounts[cmd.psn_no], await book.credit(cmd.credit_id))
    await book.record(decision)
    return decision.outcome


async def roll_over(book: WalletBook, psn_no: str, at: datetime) -> PersonalAccount:
    accounts = await book.lock_accounts(rows_for_credit(psn_no))
    decision = decide_rollover(accounts[psn_no], at)
    await book.record(decision)
    return decision.outcome


async def bind(
    book: WalletBook, cmd: BindRelative, holder: InsuranceStatus, member: InsuranceStatus, policy: WalletPolicy,
) -> Binding:
    await book.lock_accounts(rows_for_binding(cmd.holder, cmd.member))
    binding = decide_binding(cmd, await book.latest_binding(cmd.holder, cmd.member), holder, member, policy)
    await book.save_binding(binding)
    return binding


async def change_uses(book: WalletBook, cmd: ChangeUses) -> Binding:
    await book.lock_accounts(rows_for_binding(cmd.holder, cmd.member))
    binding = decide_uses_change(cmd, await book.latest_binding(cmd.holder, cmd.member))
    await book.save_binding(binding)
    return binding


async def revoke(book: WalletBook, cmd: RevokeBinding) -> Binding:
    await book.lock_accounts(rows_for_binding(cmd.holder, cmd.member))
    binding = decide_revocation(cmd, await book.latest_binding(cmd.holder, cmd.member))
    await book.save_binding(binding)
    return binding


async def pay_claim(book: WalletBook | ClaimRunBook, cmd: PayPersonalPart, policy: WalletPolicy) -> ClaimPayment:
    for _ in range(ATTEMPTS):
        # Bindings read before locking only size the lock; the decision uses those read after it.
        rows = rows_for_claim_payment(cmd.psn_no, await book.active_bindings_of(cmd.psn_no))
        accounts = await book.lock_accounts(rows)
        try:
            decision = decide_claim_payment(
                cmd, accounts, await book.active_bindings_of(cmd.psn_no), await book.claim_payment(cmd.setl_id), policy)
        except LocksIncomplete:
            # A holder bound the patient after the first read. Lock again, with the new holder, in
            # the same transaction: READ COMMITTED reads see what that binding committed. (The new row
            # is taken after the others; a deadlock this rare ordering meets is detected and retried.)
            continue
        await book.record(decision)
        return decision.outcome
    raise LocksIncomplete(f"The bindings of {cmd.psn_no} kept changing; the claim will be retried.")


async def refund_claim(book: WalletBook, cmd: RefundPersonalPart) -> ClaimRefund:
    payment = await book.claim_payment(cmd.setl_id)
    accounts = await book.lock_accounts(rows_for_claim_refund(cmd.psn_no, payment))
    decision = decide_claim_refund(cmd, payment, await book.claim_refund(cmd.setl_id), accounts)
    await book.record(decision)
    return decision.outcome


async def transfer(book: WalletBook, cmd: TransferToRelative, policy: WalletPolicy) -> Transfer:
    accounts = await book.lock_accounts(rows_for_transfer(cmd.holder, cmd.recipient))
    decision = decide_transfer(
        cmd, accounts, await book.latest_binding(cmd.holder, cmd.recipient),
        await book.transfers_on(cmd.holder, china_day(cmd.at)), await book.transfer(cmd.transfer_id), policy)
    await book.record(decision)
    return decision.outcome


async def pay_premium(book: WalletBook, cmd: PayResidentPremium, policy: WalletPolicy) -> PremiumPayment:
    accounts = await book.lock_accounts(rows_for_premium_payment(cmd.holder))
    decision = decide_premium_payment(
        cmd, accounts, await book.latest_binding(cmd.holder, cmd.member), await book.premium_payment(cmd.payment_id),
        policy)
    await book.record(decision)
    return decision.outcome
