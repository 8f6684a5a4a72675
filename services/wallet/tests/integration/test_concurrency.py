"""A family's claims, refunds, transfers, premiums, credits and binding changes hitting one holder's
account at the same moment, on the real Postgres: nothing is ever overdrawn and no posting is lost.

Every operation is its own transaction on its own connection (as the consumers and the HTTP API run
them), started together with asyncio.gather, round after round; the holder's money runs out early, so
most rounds fight over what little a new credit brings.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, timedelta
from functools import partial
from typing import Any

import asyncpg
import pytest

from libs.contracts import claims as c
from libs.contracts import wallet as w
from libs.contracts.enrollment import CoverageChanged
from libs.db.migrations import migrate
from libs.messaging import postgres
from libs.messaging.consumer import TRANSIENT_ERRORS
from libs.messaging.ports import Transaction
from services.wallet.adapters.book import PostgresWalletBook
from services.wallet.adapters.persons import PostgresPersons
from services.wallet.bootstrap import MIGRATIONS
from services.wallet.domain import balances_of
from services.wallet.service_layer.handlers import Refused, WalletHandlers
from services.wallet.tests.integration.harness import DAYTIME, REGION, Clock
from tests.support.clients import new_id
from tests.support.pg import connection, connection_of

pytestmark = pytest.mark.integration

ROUNDS = 40
HOSPITAL = "H43010001"


class Family:
    """A holder (H) who shares with a spouse (S, an employee), a child (K) and a parent (P); a second
    holder (H2) binds and unbinds the child all the time, so claims meet bindings changing under them."""

    def __init__(self, handlers: WalletHandlers, database: postgres.PgDatabase) -> None:
        self.handlers, self.database = handlers, database
        tag = new_id("F")
        self.h, self.h2, self.s, self.k, self.p = (f"{tag}-{n}" for n in ("H", "H2", "S", "K", "P"))
        self.answers: list[tuple[str, Any]] = []
        self.retries = 0

    @property
    def people(self) -> tuple[str, ...]:
        return self.h, self.h2, self.s, self.k, self.p

    async def run(self, verb: Callable[[Transaction], Awaitable[Any]]) -> Any:
        """One transaction; a deadlock or serialization failure is retried, as the runtime does."""
        for attempt in range(20):
            try:
                async with self.database.transaction() as tx:
                    return await verb(tx)
            except TRANSIENT_ERRORS:
                self.retries += 1
                await asyncio.sleep(0.005 * attempt)
        raise AssertionError("a transaction kept failing")

    async def do(self, verb_name: str, message: Any) -> None:
        answer = await self.run(lambda tx: getattr(self.handlers, verb_name)(tx, message))
        self.answers.append((verb_name, answer))

    async def enroll(self) -> None:
        for psn_no, insutype in ((self.h, "310"), (self.h2, "310"), (self.s, "310"), (self.k, "390"), (self.p, "390")):
            coverage = CoverageChanged(psn_no=psn_no, version=1, insutype=insutype, insuplc_admdvs=REGION, gend="1",
                                       age=40, active=True, coverage_begin=date(2020, 1, 1))
            await self.run(partial(self.handlers.project_person, m=coverage))
        await self.credit(self.h, 3_000_00)
        await self.credit(self.h2, 500_00)
        await self.credit(self.s, 100_00)
        for member in (self.s, self.k, self.p):
            await self.do("bind_relative", w.BindRelative(command_id=new_id("B"), psn_no=self.h, relative_psn_no=member,
                                                          relation="spouse", uses=["medical", "premium"]))

    async def credit(self, psn_no: str, amount: int) -> None:
        await self.do("credit_account", w.CreditPersonalAccount(credit_id=new_id("CR"), psn_no=psn_no, amount=amount,
                                                                kind="contribution", year=2026))


def claim(psn_no: str, amount: int) -> c.ClaimAdjudicated:
    claim_id = new_id("C")
    return c.ClaimAdjudicated(claim_id=claim_id, setl_id=f"S{claim_id}", psn_no=psn_no, insutype="310",
                              fixmedins_code=HOSPITAL, psn_part_amt=amount, acct_used_flag=True)


def refund_of(paid: c.ClaimAdjudicated) -> c.ClaimCancellationAdjudicated:
    return c.ClaimCancellationAdjudicated(claim_id=paid.claim_id, cancel_id=new_id("X"), setl_id=paid.setl_id,
                                          psn_no=paid.psn_no, fixmedins_code=paid.fixmedins_code)


def transfer(f: Family, to: str, amount: int) -> w.TransferToRelative:
    return w.TransferToRelative(transfer_id=new_id("T"), psn_no=f.h, relative_psn_no=to, amount=amount)


def binding_toggle(f: Family, n: int) -> tuple[str, Any]:
    if n % 2:
        return "revoke_binding", w.RevokeBinding(command_id=new_id("B"), psn_no=f.h2, relative_psn_no=f.k)
    return "bind_relative", w.BindRelative(command_id=new_id("B"), psn_no=f.h2, relative_psn_no=f.k,
                                           relation="parent", uses=["medical"])


@pytest.fixture
async def family(own_namespace) -> AsyncIterator[tuple[Family, Clock]]:
    pool = await asyncpg.create_pool(own_namespace.dsn("wallet"), min_size=4, max_size=16)
    try:
        async with pool.acquire() as conn:
            await migrate(conn, {"messaging": postgres.MIGRATIONS, "wallet": MIGRATIONS})
        clock = Clock(DAYTIME.replace(month=9, day=1))
        handlers = WalletHandlers(lambda tx: PostgresWalletBook(connection_of(tx)), lambda tx: PostgresPersons(connection_of(tx)),
                                  clock=clock)
        f = Family(handlers, postgres.PgDatabase(pool))
        await f.enroll()
        yield f, clock
    finally:
        await pool.close()


async def test_a_familys_claims_and_transfers_at_once_never_overdraw_and_never_lose_a_posting(family) -> None:
    f, clock = family
    rng = random.Random(5)
    paid_before: list[c.ClaimAdjudicated] = []
    for n in range(ROUNDS):
        clock.now = DAYTIME.replace(month=9, day=1) + timedelta(days=n)  # a new China day: 3 transfers again
        claims = [claim(p, rng.randrange(50_00, 250_00)) for p in (f.s, f.k, f.p, f.h)]
        work: list[tuple[str, Any]] = [("pay_personal_part", m) for m in claims]
        work += [("transfer_to_relative", transfer(f, to, rng.randrange(100_00, 800_00))) for to in (f.k, f.p)]
        work += [binding_toggle(f, n)]
        work += [("refund_personal_part", refund_of(m)) for m in paid_before[-2:]]
        if n % 3 == 0:
            work += [("pay_relative_premium", w.PayRelativePremium(
                payment_id=new_id("PP"), psn_no=f.h, relative_psn_no=f.p, coverage_year=2027, amount=100_00))]
        if n % 5 == 4:
            work += [("credit_account", w.CreditPersonalAccount(
                credit_id=new_id("CR"), psn_no=f.h, amount=1_000_00, kind="contribution", year=2026))]
        rng.shuffle(work)
        await asyncio.gather(*(f.do(verb, message) for verb, message in work))
        paid_before = claims

    await the_books_hold(f)


async def the_books_hold(f: Family) -> None:
    refusals = Counter(a.reason_code for _, a in f.answers if isinstance(a, Refused))
    assert set(refusals) <= {"INSUFFICIENT_BALANCE"}, refusals
    assert refusals["INSUFFICIENT_BALANCE"] > 0, "the holder's money never ran out: the test proved little"
    paid = [a for verb, a in f.answers if verb == "pay_personal_part"]
    assert all(p.acct_pay + p.acct_mulaid_pay + p.psn_cash_pay > 0 for p in paid)
    assert any(p.psn_cash_pay for p in paid) and any(p.acct_mulaid_pay for p in paid)

    conn = f.database.pool
    assert conn is not None
    assert await conn.fetchval("SELECT coalesce(sum(amount), 0) FROM posting_lines") == 0
    assert await conn.fetch("SELECT posting_seq FROM posting_lines GROUP BY 1 HAVING sum(amount) <> 0") == []

    async with conn.acquire() as pooled:
        book = PostgresWalletBook(connection(pooled))
        keys = set()
        for psn_no in f.people:
            postings = await book.postings_of(psn_no)
            keys |= {p.key for p in postings}
            row = await book.account(psn_no)
            assert row is not None and row.balances == balances_of(psn_no, postings), psn_no
            assert min(row.prior_years, row.current_year, row.wallet) >= 0

    # Every accepted movement has exactly its posting, and every posting of the family answers one.
    expected = set()
    for _verb, a in f.answers:
        if isinstance(a, c.PersonalPartPaid) and a.acct_pay + a.acct_mulaid_pay:
            expected.add(f"claim:{a.setl_id}")
        elif isinstance(a, c.PersonalPartRefunded) and a.acct_pay + a.acct_mulaid_pay:
            expected.add(f"claim-refund:{a.setl_id}")
        elif isinstance(a, w.TransferCompleted):
            expected.add(f"transfer:{a.transfer_id}")
        elif isinstance(a, w.RelativePremiumPaid):
            expected.add(f"premium:{a.payment_id}")
        elif isinstance(a, w.AccountCredited):
            expected.add(f"credit:{a.credit_id}")
    assert keys == expected

    # The family's money is what was credited, less what left it for hospitals and premiums.
    credited = sum(a.amount for _, a in f.answers if isinstance(a, w.AccountCredited))
    to_hospitals = sum(a.acct_pay + a.acct_mulaid_pay for _, a in f.answers if isinstance(a, c.PersonalPartPaid))
    refunded = sum(a.acct_pay + a.acct_mulaid_pay for _, a in f.answers if isinstance(a, c.PersonalPartRefunded))
    premiums = sum(a.amount for _, a in f.answers if isinstance(a, w.RelativePremiumPaid))
    held = await conn.fetchval("SELECT sum(prior_years + current_year + wallet) FROM accounts"
                               " WHERE psn_no = ANY($1::text[])", list(f.people))
    assert held == credited - to_hospitals + refunded - premiums
