"""The contract every `WalletBook` honours, run against `FakeLedger` here and against the Postgres
adapter in the integration tests (subclass `WalletBookContract` and provide the `book` fixture)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.wallet.domain import (
    CreditAccount,
    CreditKind,
    DuplicatePosting,
    PersonalAccount,
    RevokeBinding,
    TransferToRelative,
    WalletBook,
    decide_credit,
    decide_revocation,
    decide_transfer,
)
from services.wallet.tests.unit.builders import POLICY, binding, cst


def a_credit(credit_id: str, psn_no: str, amount: int, at=None) -> CreditAccount:
    return CreditAccount(credit_id, psn_no, amount, CreditKind.CONTRIBUTION, "430100", 2025, at or cst())


class WalletBookContract:
    @pytest.fixture
    def book(self) -> WalletBook:
        raise NotImplementedError

    async def test_locking_a_person_never_seen_opens_an_empty_row(self, book):
        rows = await book.lock_accounts(["P2", "P1"])
        assert rows == {"P1": PersonalAccount("P1"), "P2": PersonalAccount("P2")}

    async def test_a_recorded_decision_is_read_back_as_postings_rows_and_record(self, book):
        rows = await book.lock_accounts(["P1"])
        decision = decide_credit(a_credit("CR1", "P1", 500), rows["P1"], None)
        await book.record(decision)
        assert await book.account("P1") == decision.accounts[0]
        assert await book.credit("CR1") == decision.outcome
        assert await book.postings_of("P1") == decision.postings

    async def test_a_replayed_decision_writes_nothing(self, book):
        rows = await book.lock_accounts(["P1"])
        first = decide_credit(a_credit("CR1", "P1", 500), rows["P1"], None)
        await book.record(first)
        rows = await book.lock_accounts(["P1"])
        await book.record(decide_credit(a_credit("CR1", "P1", 500), rows["P1"], await book.credit("CR1")))
        assert await book.postings_of("P1") == first.postings

    async def test_a_posting_key_already_in_the_ledger_is_refused(self, book):
        rows = await book.lock_accounts(["P1"])
        await book.record(decide_credit(a_credit("CR1", "P1", 500), rows["P1"], None))
        rows = await book.lock_accounts(["P1"])
        with pytest.raises(DuplicatePosting):
            await book.record(decide_credit(a_credit("CR1", "P1", 500), rows["P1"], None))

    async def test_the_latest_binding_is_the_most_recent_and_revoked_ones_are_not_active(self, book):
        await book.lock_accounts(["H1", "M1"])
        old = binding("H1", "M1", bound_at=cst(2024, 1, 1))
        await book.save_binding(old)
        await book.save_binding(decide_revocation(RevokeBinding("H1", "M1", cst(2024, 6, 1)), old))
        assert await book.active_bindings_of("M1") == ()
        new = binding("H1", "M1", bound_at=cst(2025, 1, 1))
        await book.save_binding(new)
        assert await book.latest_binding("H1", "M1") == new
        assert await book.active_bindings_of("M1") == (new,)

    async def test_transfers_are_counted_per_holder_per_china_day(self, book):
        rows = await book.lock_accounts(["H1", "R1"])
        await book.save_binding(binding("H1", "R1"))
        rows = await book.lock_accounts(["H1"])
        await book.record(decide_credit(a_credit("CR1", "H1", 500_000), rows["H1"], None))
        late_evening = cst(2025, 3, 1, 21, 30)
        for n, at in enumerate([late_evening, late_evening + timedelta(minutes=20), cst(2025, 3, 2, 7)]):
            rows = await book.lock_accounts(["H1", "R1"])
            cmd = TransferToRelative(f"T{n}", "H1", "R1", 1_000, at)
            await book.record(decide_transfer(cmd, rows, await book.latest_binding("H1", "R1"), 0, None, POLICY))
        assert await book.transfers_on("H1", cst(2025, 3, 1).date()) == 2
        assert await book.transfers_on("H1", cst(2025, 3, 2).date()) == 1
        assert await book.transfers_on("R1", cst(2025, 3, 1).date()) == 0
        assert (await book.transfer("T2")).china_day == cst(2025, 3, 2).date()

    async def test_a_persons_postings_come_back_in_ledger_order(self, book):
        for n in range(3):
            rows = await book.lock_accounts(["P1"])
            await book.record(decide_credit(a_credit(f"CR{n}", "P1", 100 + n), rows["P1"], None))
        assert [p.key for p in await book.postings_of("P1")] == ["credit:CR0", "credit:CR1", "credit:CR2"]
