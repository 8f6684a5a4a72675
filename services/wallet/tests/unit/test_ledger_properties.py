"""Under any sequence of credits, bindings, claims, refunds, transfers and premiums, the books hold.

Every posting balances and the ledger sums to zero; no person's balance goes below zero; the account
rows equal what the postings say; each claim's parts add up and follow the order of payment; a refund
gives every draw back exactly and a second refund changes nothing; transfers keep their limits; and
every refusal is the one the rules predict.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, multiple, rule

from services.wallet.domain import (
    BindRelative,
    Bucket,
    ChangeUses,
    CreditAccount,
    CreditKind,
    InsuranceStatus,
    PayResidentPremium,
    Relation,
    RevokeBinding,
    TransferToRelative,
    UnknownClaim,
    Use,
    WalletRefusal,
    balances_of,
    china_day,
    china_time,
    china_year,
    trial_balance,
)
from services.wallet.service_layer import recipes
from services.wallet.tests.unit.builders import POLICY, cancel, claim, cst
from services.wallet.tests.unit.fakes import FakeLedger

EMPLOYEES = ("E1", "E2", "E3")
RESIDENTS = ("R1", "R2")
PEOPLE = EMPLOYEES + RESIDENTS
USES = st.frozensets(st.sampled_from(list(Use)), max_size=2)
CHOSEN_USES = st.frozensets(st.sampled_from(list(Use)), min_size=1)
MOSTLY = st.sampled_from([True, True, True, False])
BOUND_AT_START = (("E1", "R1"), ("E2", "R1"), ("E3", "E2"))
PAIRS = st.one_of(st.sampled_from(BOUND_AT_START), st.tuples(st.sampled_from(PEOPLE), st.sampled_from(PEOPLE)))


class WalletMachine(RuleBasedStateMachine):
    claims = Bundle("claims")
    transfers = Bundle("transfers")

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.book = FakeLedger()
        self.now = cst(2025, 12, 31, 9)
        self.serial = 0
        self.active: dict[tuple[str, str], frozenset[Use]] = {}
        self.ever_bound: set[tuple[str, str]] = set()
        self.accepted: list = []

    def teardown(self) -> None:
        self.loop.close()

    def run(self, coroutine):
        return self.loop.run_until_complete(coroutine)

    def next_id(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}{self.serial}"

    def totals(self) -> dict[str, int]:
        return {p: (self.book.accounts[p].total if p in self.book.accounts else 0) for p in PEOPLE}

    def shareable(self, psn_no: str) -> int:
        row = self.book.accounts.get(psn_no)
        return row.prior_years + row.current_year if row else 0

    def refused(self, expected: str | None, action) -> object | None:
        try:
            outcome = self.run(action)
        except WalletRefusal as refusal:
            assert refusal.reason_code == expected, f"refused {refusal.reason_code}, expected {expected}"
            return None
        assert expected is None, f"accepted, expected {expected}"
        return outcome

    @initialize(amounts=st.lists(st.integers(0, 300_000), min_size=3, max_size=3))
    def a_family_with_some_money(self, amounts):
        """Start where the interesting rules apply: employees with money, a resident bound to two of them."""
        for psn_no, amount in zip(EMPLOYEES, amounts, strict=True):
            if amount:
                self.credit(psn_no, amount, CreditKind.CONTRIBUTION, late=False)
        for holder, member in BOUND_AT_START:
            self.bind(holder, member, frozenset(Use), holder_insured=True, member_insured=True)

    # -- time and money in ---------------------------------------------------------------------
    @rule(step=st.sampled_from([timedelta(minutes=9), timedelta(hours=4), timedelta(hours=11), timedelta(days=1),
                                timedelta(days=2), timedelta(days=37)]))
    def time_passes(self, step):
        self.now += step

    @rule(psn_no=st.sampled_from(EMPLOYEES), amount=st.integers(1, 400_000), kind=st.sampled_from(list(CreditKind)),
          late=st.booleans())
    def credit(self, psn_no, amount, kind, late):
        year = china_year(self.now) - late
        before = self.totals()[psn_no]
        done = self.run(recipes.credit(self.book, CreditAccount(self.next_id("CR"), psn_no, amount, kind, "430100",
                                                                year, self.now)))
        assert done.balc == before + amount

    @rule()
    def new_year_batch(self):
        for psn_no in PEOPLE:
            assert self.run(recipes.roll_over(self.book, psn_no, self.now)).year >= china_year(self.now)

    # -- family mutual aid --------------------------------------------------------------------
    @rule(holder=st.sampled_from(PEOPLE), member=st.sampled_from(PEOPLE), uses=USES,
          holder_insured=MOSTLY, member_insured=MOSTLY)
    def bind(self, holder, member, uses, holder_insured, member_insured):
        current = self.active.get((holder, member))
        expected = ("SELF_BINDING" if holder == member else "NO_USE_CHOSEN" if not uses
                    else "HOLDER_NOT_INSURED" if not holder_insured
                    else "HOLDER_HAS_NO_ACCOUNT" if holder in RESIDENTS
                    else "RELATIVE_NOT_INSURED" if not member_insured
                    else "ALREADY_BOUND" if current is not None and current != uses else None)
        cmd = BindRelative(holder, member, Relation.CHILD, uses, self.now)
        statuses = (InsuranceStatus(holder, holder_insured, holder in EMPLOYEES),
                    InsuranceStatus(member, member_insured, member in EMPLOYEES))
        if self.refused(expected, recipes.bind(self.book, cmd, *statuses, POLICY)):
            self.active[(holder, member)] = uses
            self.ever_bound.add((holder, member))

    @rule(holder=st.sampled_from(EMPLOYEES), member=st.sampled_from(PEOPLE), uses=CHOSEN_USES)
    def change_uses(self, holder, member, uses):
        expected = ("SELF_BINDING" if holder == member else None if (holder, member) in self.active
                    else "BINDING_NOT_FOUND")
        if self.refused(expected, recipes.change_uses(self.book, ChangeUses(holder, member, uses, self.now))):
            self.active[(holder, member)] = uses

    @rule(holder=st.sampled_from(EMPLOYEES), member=st.sampled_from(PEOPLE))
    def revoke(self, holder, member):
        expected = ("SELF_BINDING" if holder == member else None if (holder, member) in self.ever_bound
                    else "BINDING_NOT_FOUND")
        self.refused(expected, recipes.revoke(self.book, RevokeBinding(holder, member, self.now)))
        self.active.pop((holder, member), None)

    # -- claims ---------------------------------------------------------------------------------
    @rule(target=claims, patient=st.sampled_from((*PEOPLE, "R1", "E2")), amount=st.integers(0, 600_000),
          used=st.booleans())
    def pay_claim(self, patient, amount, used):
        before = self.totals()
        holders = {h for (h, m), uses in self.active.items() if m == patient and Use.MEDICAL in uses}
        family_money = sum(self.shareable(h) for h in holders)
        cmd = claim(self.next_id("S"), patient, amount, used=used, at=self.now)
        payment = self.run(recipes.pay_claim(self.book, cmd, POLICY))
        assert payment.acct_pay + payment.acct_mulaid_pay + payment.psn_cash_pay == amount
        assert payment.acct_pay == (min(before[patient], amount) if used else 0)
        assert payment.acct_mulaid_pay == min(family_money, amount - payment.acct_pay)
        assert {d.psn_no for d in payment.draws} <= holders | {patient}
        assert payment.balc == self.totals()[patient]
        assert self.run(recipes.pay_claim(self.book, cmd, POLICY)) == payment
        return cmd.setl_id

    @rule(setl_id=claims, twice=st.booleans())
    def refund_claim(self, setl_id, twice):
        payment = self.book.claim_payments[setl_id]
        already = self.book.claim_refunds.get(setl_id)
        before, postings = self.totals(), len(self.book.postings)
        refund = self.run(recipes.refund_claim(self.book, cancel(setl_id, payment.psn_no, at=self.now)))
        after = self.totals()
        if already is not None:
            assert refund == already and after == before and len(self.book.postings) == postings
            return
        given_back: Counter[str] = Counter()
        for d in payment.draws:
            given_back[d.psn_no] += d.amount
        assert {p: after[p] - before[p] for p in PEOPLE if after[p] != before[p]} == +given_back
        assert (refund.acct_pay, refund.acct_mulaid_pay, refund.psn_cash_pay) == (
            payment.acct_pay, payment.acct_mulaid_pay, payment.psn_cash_pay)
        for drawn, returned in zip(payment.draws, refund.returns, strict=True):
            rolled_over = drawn.bucket is Bucket.CURRENT_YEAR and china_year(self.now) > drawn.year
            assert (returned.psn_no, returned.amount) == (drawn.psn_no, drawn.amount)
            assert returned.bucket is (Bucket.PRIOR_YEARS if rolled_over else drawn.bucket)
        if twice:
            assert self.run(recipes.refund_claim(self.book, cancel(setl_id, payment.psn_no, cancel_id="X9",
                                                                   at=self.now))) == refund
            assert self.totals() == after

    @rule(patient=st.sampled_from(PEOPLE))
    def refund_of_an_unknown_claim_is_refused(self, patient):
        try:
            self.run(recipes.refund_claim(self.book, cancel("NEVER", patient, at=self.now)))
        except UnknownClaim:
            return
        raise AssertionError("refunded a claim that was never paid")

    # -- premiums and transfers ------------------------------------------------------------------
    @rule(pair=PAIRS, amount=st.integers(-1, 200_000))
    def pay_premium(self, pair, amount):
        holder, member = pair
        uses = self.active.get((holder, member))
        expected = ("INVALID_AMOUNT" if amount <= 0 else "NOT_BOUND_RELATIVE" if uses is None
                    else "USE_NOT_GRANTED" if Use.PREMIUM not in uses
                    else "INSUFFICIENT_BALANCE" if self.shareable(holder) < amount else None)
        next_year = china_year(self.now) + 1
        cmd = PayResidentPremium(self.next_id("PP"), holder, member, amount, next_year, "430100", self.now)
        self.refused(expected, recipes.pay_premium(self.book, cmd, POLICY))

    @rule(target=transfers, pair=PAIRS,
          amount=st.one_of(st.integers(1, 60_000), st.integers(-1, 210_000), st.sampled_from([200_000, 200_001])))
    def transfer(self, pair, amount):
        holder, recipient = pair
        night = not 6 <= china_time(self.now).hour < 22
        today = sum(1 for t in self.accepted if t.holder == holder and t.china_day == china_day(self.now))
        expected = ("INVALID_AMOUNT" if amount <= 0 else "TRANSFER_LIMIT_EXCEEDED" if amount > 200_000
                    else "SELF_TRANSFER" if holder == recipient else "TRANSFER_NIGHT_WINDOW" if night
                    else "NOT_BOUND_RELATIVE" if (holder, recipient) not in self.active
                    else "DAILY_TRANSFER_COUNT_EXCEEDED" if today >= 3
                    else "INSUFFICIENT_BALANCE" if self.shareable(holder) < amount else None)
        cmd = TransferToRelative(self.next_id("T"), holder, recipient, amount, self.now)
        done = self.refused(expected, recipes.transfer(self.book, cmd, POLICY))
        if done is None:
            return multiple()
        self.accepted.append(done)
        return cmd

    @rule(cmd=transfers, same_body=st.booleans())
    def send_a_transfer_again(self, cmd, same_body):
        postings = len(self.book.postings)
        body = cmd if same_body else TransferToRelative(
            cmd.transfer_id, cmd.holder, cmd.recipient, cmd.amount + 1, self.now)
        expected = None if same_body else "TRANSFER_ID_REUSED"
        outcome = self.refused(expected, recipes.transfer(self.book, body, POLICY))
        assert outcome in (None, self.book.transfers[cmd.transfer_id])
        assert len(self.book.postings) == postings

    # -- what must always hold -------------------------------------------------------------------
    @invariant()
    def every_posting_balances_and_the_ledger_sums_to_zero(self):
        assert all(sum(e.amount for e in p.entries) == 0 for p in self.book.postings)
        assert sum(trial_balance(self.book.postings).values()) == 0
        assert len({p.key for p in self.book.postings}) == len(self.book.postings)

    @invariant()
    def no_person_ever_holds_less_than_nothing_and_rows_match_the_postings(self):
        for psn_no, row in self.book.accounts.items():
            assert min(row.prior_years, row.current_year, row.wallet) >= 0
            assert balances_of(psn_no, self.book.postings) == row.balances

    @invariant()
    def hospitals_are_owed_exactly_the_account_money_of_unrefunded_claims(self):
        owed: Counter[str] = Counter()
        for setl_id, p in self.book.claim_payments.items():
            if setl_id not in self.book.claim_refunds:
                owed[f"claims-payable:{p.fixmedins_code}"] += p.acct_pay + p.acct_mulaid_pay
        ledger = {a: v for a, v in trial_balance(self.book.postings).items() if a.startswith("claims-payable:") and v}
        assert ledger == +owed

    @invariant()
    def transfers_keep_their_limits(self):
        per_day = Counter((t.holder, t.china_day) for t in self.book.transfers.values())
        assert max(per_day.values(), default=0) <= 3
        for t in self.book.transfers.values():
            assert 0 < t.amount <= 200_000 and 6 <= china_time(t.transferred_at).hour < 22

    @invariant()
    def the_bindings_in_the_book_are_the_ones_the_rules_allowed(self):
        active = {(b.holder, b.member): b.uses for b in self.book.bindings if b.active}
        assert active == self.active


TestWalletLedger = WalletMachine.TestCase
TestWalletLedger.settings = settings(
    max_examples=80, stateful_step_count=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
