"""The lock-read-decide-record recipe against the fake: which rows each operation locks."""

from services.wallet.domain import (
    BindRelative,
    CreditAccount,
    CreditKind,
    PayResidentPremium,
    Relation,
    TransferToRelative,
    Use,
    balances_of,
)
from services.wallet.service_layer import recipes
from services.wallet.tests.unit.builders import POLICY, binding, cancel, claim, cst, employee, resident
from services.wallet.tests.unit.fakes import FakeLedger

BOTH = frozenset({Use.MEDICAL, Use.PREMIUM})


async def a_family(book: FakeLedger, *holders: str, member: str = "M5") -> None:
    for n, holder in enumerate(holders):
        await recipes.credit(book, CreditAccount(f"CR-{holder}", holder, 10_000, CreditKind.CONTRIBUTION, "430100",
                                                 2025, cst(2025, 1, 2)))
        await recipes.bind(book, BindRelative(holder, member, Relation.PARENT, BOTH, cst(2025, 1, 3, 9 + n)),
                           employee(holder), resident(member), POLICY)


async def test_a_claim_payment_locks_the_patient_and_every_paying_holder_in_ascending_order():
    book = FakeLedger()
    await a_family(book, "H9", "H1")
    book.lock_calls.clear()
    payment = await recipes.pay_claim(book, claim("S1", "M5", 15_000), POLICY)
    assert book.lock_calls == [("H1", "H9", "M5")]
    assert [(d.psn_no, d.amount) for d in payment.draws] == [("H9", 10_000), ("H1", 5_000)]


async def test_a_binding_made_between_reading_and_locking_makes_the_payment_try_again_with_more_locks():
    class ConcurrentBinding(FakeLedger):
        """Another transaction binds H2 to M5 and commits just after the payment read M5's bindings."""

        armed = False

        async def lock_accounts(self, psn_nos):
            rows = await super().lock_accounts(psn_nos)
            if self.armed:
                self.armed = False
                self.bindings.append(binding("H2", "M5", bound_at=cst(2025, 2, 1)))
            return rows

    book = ConcurrentBinding()
    await a_family(book, "H1")
    await recipes.credit(book, CreditAccount("CR-H2", "H2", 9_000, CreditKind.CONTRIBUTION, "430100", 2025, cst()))
    book.lock_calls.clear()
    book.armed = True
    payment = await recipes.pay_claim(book, claim("S1", "M5", 15_000), POLICY)
    assert book.lock_calls == [("H1", "M5"), ("H1", "H2", "M5")]
    assert [(d.psn_no, d.amount) for d in payment.draws] == [("H1", 10_000), ("H2", 5_000)]


async def test_a_refund_locks_the_patient_and_everyone_the_payment_drew_from():
    book = FakeLedger()
    await a_family(book, "H1", "H2")
    await recipes.pay_claim(book, claim("S1", "M5", 12_000), POLICY)
    book.lock_calls.clear()
    refund = await recipes.refund_claim(book, cancel("S1", "M5"))
    assert book.lock_calls == [("H1", "H2", "M5")]
    assert refund.acct_mulaid_pay == 12_000
    assert [balances_of(h, book.postings).total for h in ("H1", "H2")] == [10_000, 10_000]


async def test_a_transfer_locks_holder_and_recipient_and_a_premium_only_the_holder():
    book = FakeLedger()
    await a_family(book, "H1")
    book.lock_calls.clear()
    await recipes.transfer(book, TransferToRelative("T1", "H1", "M5", 1_000, cst(2025, 3, 1, 9)), POLICY)
    await recipes.pay_premium(book, PayResidentPremium("PP1", "H1", "M5", 4_000, 2026, "430100", cst()), POLICY)
    assert book.lock_calls == [("H1", "M5"), ("H1",)]
    member, holder = await book.account("M5"), await book.account("H1")
    assert member is not None and holder is not None
    assert member.wallet == 1_000 and holder.total == 5_000
