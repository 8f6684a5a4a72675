import pytest

from services.wallet.domain import DuplicatePosting, PersonalAccount, decide_credit
from services.wallet.tests.unit.book_contract import WalletBookContract, a_credit
from services.wallet.tests.unit.fakes import FakeLedger


class TestFakeLedgerHonoursTheWalletBookContract(WalletBookContract):
    @pytest.fixture
    def book(self):
        return FakeLedger()


async def test_the_fake_refuses_a_decision_that_writes_a_row_it_did_not_lock():
    book = FakeLedger()
    await book.lock_accounts(["P9"])
    with pytest.raises(AssertionError, match="never locked"):
        await book.record(decide_credit(a_credit("CR1", "P1", 500), PersonalAccount("P1"), None))


async def test_a_refused_duplicate_posting_leaves_the_fake_unchanged():
    book = FakeLedger()
    rows = await book.lock_accounts(["P1"])
    await book.record(decide_credit(a_credit("CR1", "P1", 500), rows["P1"], None))
    rows = await book.lock_accounts(["P1"])
    with pytest.raises(DuplicatePosting):
        await book.record(decide_credit(a_credit("CR1", "P1", 500), rows["P1"], None))
    account = await book.account("P1")
    assert account is not None and account.total == 500 and len(book.postings) == 1
