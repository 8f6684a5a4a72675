"""`FakeLedger` and `FakePersons`: the wallet's ports in memory, for unit tests of the domain and service layer.

Besides storing, the ledger checks what the real database guarantees or the recipe promises: a decision
writes only rows that were locked, posting keys are unique, the rows written equal the rows locked
plus the postings, and a write is all or nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from typing import Any

from libs.contracts.enrollment import CoverageChanged
from libs.contracts.wallet import CreditPersonalAccount
from services.wallet.domain import (
    Binding,
    ClaimPayment,
    ClaimRefund,
    Credited,
    Decision,
    DuplicatePosting,
    PersonalAccount,
    Posting,
    PremiumPayment,
    Transfer,
)
from services.wallet.service_layer.persons import Person, Projected


class FakeLedger:
    def __init__(self) -> None:
        self.accounts: dict[str, PersonalAccount] = {}
        self.postings: list[Posting] = []
        self.bindings: list[Binding] = []
        self.credits: dict[str, Credited] = {}
        self.claim_payments: dict[str, ClaimPayment] = {}
        self.claim_refunds: dict[str, ClaimRefund] = {}
        self.transfers: dict[str, Transfer] = {}
        self.premium_payments: dict[str, PremiumPayment] = {}
        self.locked: frozenset[str] = frozenset()
        self.lock_calls: list[tuple[str, ...]] = []

    # -- the port -------------------------------------------------------------------------------
    async def lock_accounts(self, psn_nos: Iterable[str]) -> dict[str, PersonalAccount]:
        order = tuple(sorted(set(psn_nos)))
        self.locked = frozenset(order)
        self.lock_calls.append(order)
        return {psn_no: self.accounts.get(psn_no, PersonalAccount(psn_no)) for psn_no in order}

    async def account(self, psn_no: str) -> PersonalAccount | None:
        return self.accounts.get(psn_no)

    async def active_bindings_of(self, member: str) -> tuple[Binding, ...]:
        return tuple(b for b in self.bindings if b.member == member and b.active)

    async def latest_binding(self, holder: str, member: str) -> Binding | None:
        pair = [b for b in self.bindings if (b.holder, b.member) == (holder, member)]
        return max(pair, key=lambda b: b.bound_at, default=None)

    async def save_binding(self, binding: Binding) -> None:
        assert {binding.holder, binding.member} <= self.locked, "bindings change under both people's locks"
        key = (binding.holder, binding.member, binding.bound_at)
        self.bindings = [b for b in self.bindings if (b.holder, b.member, b.bound_at) != key] + [binding]

    async def credit(self, credit_id: str) -> Credited | None:
        return self.credits.get(credit_id)

    async def claim_payment(self, setl_id: str) -> ClaimPayment | None:
        return self.claim_payments.get(setl_id)

    async def claim_refund(self, setl_id: str) -> ClaimRefund | None:
        return self.claim_refunds.get(setl_id)

    async def transfer(self, transfer_id: str) -> Transfer | None:
        return self.transfers.get(transfer_id)

    async def transfers_on(self, holder: str, day: date) -> int:
        return sum(1 for t in self.transfers.values() if t.holder == holder and t.china_day == day)

    async def premium_payment(self, payment_id: str) -> PremiumPayment | None:
        return self.premium_payments.get(payment_id)

    async def postings_of(self, psn_no: str) -> tuple[Posting, ...]:
        return tuple(p for p in self.postings if psn_no in p.persons())

    async def record(self, decision: Decision[Any]) -> None:
        if decision.replayed:
            return
        touched = {a.psn_no for a in decision.accounts}.union(*(p.persons() for p in decision.postings))
        assert touched <= self.locked, f"wrote rows never locked: {sorted(touched - self.locked)}"
        taken = {p.key for p in self.postings}
        for posting in decision.postings:
            if posting.key in taken:
                raise DuplicatePosting(f"Posting {posting.key} is already in the ledger.")
            taken.add(posting.key)
        self._check_rows_follow_postings(decision)
        self.postings.extend(decision.postings)
        for account in decision.accounts:
            self.accounts[account.psn_no] = account
        self._insert(decision.record)

    # -- helpers --------------------------------------------------------------------------------
    def _check_rows_follow_postings(self, decision: Decision[Any]) -> None:
        written = {a.psn_no for a in decision.accounts}
        moved = set().union(*(p.persons() for p in decision.postings))
        assert moved <= written, f"postings move {sorted(moved - written)} but their rows are not written"
        for after in decision.accounts:
            before = self.accounts.get(after.psn_no, PersonalAccount(after.psn_no))
            expected = replace(before, year=after.year)
            for posting in decision.postings:
                if after.psn_no in posting.persons():
                    expected = expected.applied(posting)
            assert expected == after, f"row of {after.psn_no} does not follow its postings"

    def _insert(self, record: object | None) -> None:
        stores: list[tuple[type, dict[str, Any], str]] = [
            (Credited, self.credits, "credit_id"), (ClaimPayment, self.claim_payments, "setl_id"),
            (ClaimRefund, self.claim_refunds, "setl_id"), (Transfer, self.transfers, "transfer_id"),
            (PremiumPayment, self.premium_payments, "payment_id"),
        ]
        for kind, store, key in stores:
            if isinstance(record, kind):
                assert getattr(record, key) not in store, f"{kind.__name__} {getattr(record, key)} inserted twice"
                store[getattr(record, key)] = record
                return
        assert record is None, f"no table for {type(record).__name__}"


class FakePersons:
    """`PersonsProjection` in memory: the latest coverage per person, and the credits waiting for it."""

    def __init__(self) -> None:
        self.coverage: dict[str, CoverageChanged] = {}
        self.parked: dict[str, CreditPersonalAccount] = {}

    async def project(self, coverage: CoverageChanged) -> Projected:
        held = self.coverage.get(coverage.psn_no)
        if held is not None and held.version >= coverage.version:
            return Projected.STALE
        self.coverage[coverage.psn_no] = coverage
        return Projected.FIRST if held is None else Projected.NEWER

    async def person(self, psn_no: str) -> Person | None:
        c = self.coverage.get(psn_no)
        return Person(c.psn_no, c.insutype, c.insuplc_admdvs, c.active, c.coverage_end) if c else None

    async def park_credit(self, credit: CreditPersonalAccount, event_id: str) -> CreditPersonalAccount:
        return self.parked.setdefault(credit.credit_id, credit)

    async def parked_credits(self, psn_no: str) -> list[CreditPersonalAccount]:
        return [c for c in self.parked.values() if c.psn_no == psn_no]

    async def unpark_credit(self, credit_id: str) -> None:
        del self.parked[credit_id]
