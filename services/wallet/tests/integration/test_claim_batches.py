"""The batch path for claims (`pay_personal_parts` on `PostgresClaimRun`) against its reference, the
per-message `pay_personal_part`, on the real Postgres.

The same families and the same settlement messages go through the consumer runtime twice, into two
fresh wallet databases: once with the batch handler registered, once without. Everything the wallet
keeps or says afterwards must be the same: account rows, postings and their lines in ledger order,
claim payments, and the answers in the outbox in order. A second test counts the statements a run
of 50 claims costs each way.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import asyncpg
import orjson
import pytest

from libs.contracts import claims as c
from libs.contracts import wallet as w
from libs.contracts.enrollment import CoverageChanged
from libs.contracts.envelope import Envelope, new_envelope
from libs.contracts.registry import decode, encode
from libs.contracts.topics import CLAIMS_ADJUDICATED
from libs.db.migrations import migrate
from libs.messaging import postgres
from libs.messaging.consumer import BatchProcessor
from libs.messaging.dispatch import batch_dispatcher, dispatcher
from libs.messaging.records import Record
from libs.retry import RetryPolicy
from services.wallet.adapters.book import PostgresWalletBook
from services.wallet.adapters.claims_run import PostgresClaimRun
from services.wallet.adapters.persons import PostgresPersons
from services.wallet.bootstrap import MIGRATIONS
from services.wallet.domain import balances_of
from services.wallet.service_layer.handlers import WalletHandlers
from services.wallet.tests.integration.harness import DAYTIME, REGION, Clock
from tests.support.clients import new_id
from tests.support.pg import connection, connection_of

pytestmark = pytest.mark.integration

HOSPITAL = "H43010001"
PHARMACY = "P43010002"


@dataclass
class Wallet:
    """One wallet database, with the claims consumer as the runtime runs it (batched or not)."""

    pool: asyncpg.Pool
    batched: bool
    clock: Clock = field(default_factory=lambda: Clock(DAYTIME))
    runs: list[int] = field(default_factory=list)  # sizes of the runs the batch handler completed

    def __post_init__(self) -> None:
        self.database = postgres.PgDatabase(self.pool)
        self.handlers = WalletHandlers(lambda tx: PostgresWalletBook(connection_of(tx)),
                                       lambda tx: PostgresPersons(connection_of(tx)), clock=self.clock,
                                       claim_run_for=lambda tx: PostgresClaimRun(connection_of(tx)))

    async def run(self, verb: str, message: Any) -> Any:
        async with self.database.transaction() as tx:
            return await getattr(self.handlers, verb)(tx, message)

    async def consume(self, values: Sequence[bytes]) -> int:
        """Hand the claims consumer one batch; return how many attempts it took (1: no fallback)."""
        handler, accepted = dispatcher(self.handlers.claims_table())

        async def spy(tx: Any, envelopes: Sequence[Envelope[Any]]) -> None:
            await self.handlers.pay_personal_parts(tx, envelopes)
            self.runs.append(len(envelopes))

        batch = batch_dispatcher({c.ClaimAdjudicated: spy} if self.batched else {}, accepted)
        processor = BatchProcessor("wallet-claims-test", self.database, handler, accepted, batch,
                                   retry=RetryPolicy(attempts=1))
        records = [Record(CLAIMS_ADJUDICATED.name, 0, n, b"", v) for n, v in enumerate(values)]
        return (await processor.process(records)).attempts


@pytest.fixture(scope="module")
async def wallets(own_namespace) -> AsyncIterator[tuple[Wallet, Wallet]]:
    """Two fresh wallet databases: the namespace's, for the batch path, and one more for the reference."""
    reference_db = f"{own_namespace.prefix}wallet_reference"
    admin = await asyncpg.connect(own_namespace.stack.dsn("postgres"))
    await admin.execute(f'CREATE DATABASE "{reference_db}"')
    pools = [await asyncpg.create_pool(dsn, min_size=1, max_size=4)
             for dsn in (own_namespace.dsn("wallet"), own_namespace.stack.dsn(reference_db))]
    try:
        for pool in pools:
            async with pool.acquire() as conn:
                await migrate(conn, {"messaging": postgres.MIGRATIONS, "wallet": MIGRATIONS})
        yield Wallet(pools[0], batched=True), Wallet(pools[1], batched=False)
    finally:
        for pool in pools:
            await pool.close()
        await admin.execute(f'DROP DATABASE IF EXISTS "{reference_db}" WITH (FORCE)')
        await admin.close()


class Families:
    """People and bindings, set up the same way (same messages, same clock) in any wallet."""

    def __init__(self) -> None:
        self.tag = tag = new_id("F")
        (self.e1, self.e2, self.h1, self.m1, self.m2, self.h2, self.h3, self.m3, self.h4, self.m4,
         self.new1, self.new2, self.new3) = (f"{tag}-{name}" for name in (
            "E1", "E2", "H1", "M1", "M2", "H2", "H3", "M3", "H4", "M4", "NEW1", "NEW2", "NEW3"))
        self.old = claim(self.e1, 10_00)  # paid before the run

    async def set_up(self, wallet: Wallet) -> None:
        ids = iter(range(100))  # the same command ids in every wallet
        wallet.clock.now = DAYTIME.replace(year=2025, month=6, day=1)
        employees = (self.e1, self.e2, self.h1, self.m2, self.h2, self.h3, self.h4)
        for psn_no in (*employees, self.m1, self.m3, self.m4):
            await wallet.run("project_person", CoverageChanged(
                psn_no=psn_no, version=1, insutype="310" if psn_no in employees else "390", insuplc_admdvs=REGION,
                gend="1", age=40, active=True, coverage_begin=date(2020, 1, 1)))
        # 2025's money in a row of 2025: the run's first claim of E2 rolls it over
        await credit(wallet, f"{self.tag}-{next(ids)}", self.e2, 120_00, 2025)
        wallet.clock.now = DAYTIME - timedelta(days=30)
        for psn_no, amount in ((self.e1, 300_00), (self.h1, 500_00), (self.m2, 20_00), (self.h2, 60_00),
                               (self.h3, 50_00), (self.h4, 90_00)):
            await credit(wallet, f"{self.tag}-{next(ids)}", psn_no, amount, 2026)
        for holder, member, uses in ((self.h1, self.m1, ["medical"]), (self.h1, self.m2, ["medical", "premium"]),
                                     (self.h3, self.m3, ["medical"]), (self.h2, self.m3, ["medical"]),
                                     (self.h4, self.m4, ["premium"])):
            wallet.clock.now += timedelta(minutes=1)  # H3 binds M3 before H2 does: H3 pays first
            answer = await wallet.run("bind_relative", w.BindRelative(
                command_id=f"{self.tag}-{next(ids)}", psn_no=holder, relative_psn_no=member, relation="spouse",
                uses=uses))
            assert isinstance(answer, w.BindingChanged), answer
        wallet.clock.now = DAYTIME
        assert isinstance(await wallet.run("pay_personal_part", self.old), c.PersonalPartPaid)


def claim(psn_no: str, amount: int, *, acct_used_flag: bool = True, hospital: str = HOSPITAL,
          claim_id: str | None = None) -> c.ClaimAdjudicated:
    claim_id = claim_id or new_id("C")
    return c.ClaimAdjudicated(claim_id=claim_id, setl_id=f"S{claim_id}", psn_no=psn_no, insutype="310",
                              fixmedins_code=hospital, psn_part_amt=amount, acct_used_flag=acct_used_flag)


async def credit(wallet: Wallet, credit_id: str, psn_no: str, amount: int, year: int) -> None:
    answer = await wallet.run("credit_account", w.CreditPersonalAccount(
        credit_id=credit_id, psn_no=psn_no, amount=amount, kind="contribution", year=year))
    assert isinstance(answer, w.AccountCredited), answer


def message(payload: Any) -> bytes:
    """Encoded once and fed to both wallets, so both see the same event ids (the answers' causation ids)."""
    return encode(new_envelope(payload, producer="settlement", correlation_id=payload.claim_id))


async def state_of(wallet: Wallet) -> dict[str, Any]:
    """Everything the wallet keeps and says, without what differs between two databases by construction
    (sequence numbers, the answers' own event ids)."""
    db = wallet.pool
    lines = await db.fetch(
        "SELECT p.key, p.kind, p.occurred_at, l.line_no, l.account, l.psn_no, l.bucket, l.amount"
        " FROM postings p JOIN posting_lines l ON l.posting_seq = p.seq ORDER BY p.seq, l.line_no")
    payments = await db.fetch("SELECT * FROM claim_payments ORDER BY setl_id")
    answers = []
    for row in await db.fetch("SELECT topic, key, value FROM outbox ORDER BY id"):
        env = decode(row["value"])
        answers.append((row["topic"], row["key"], env.event_type, env.correlation_id, env.causation_id,
                        env.payload.model_dump()))
    return {
        "accounts": [tuple(r) for r in await db.fetch("SELECT * FROM accounts ORDER BY psn_no")],
        "ledger": [tuple(r) for r in lines],
        "payments": [{**r, "draws": orjson.loads(r["draws"])} for r in payments],
        "answers": answers,
        "dead_letters": await db.fetchval("SELECT count(*) FROM dead_letters"),
    }


async def the_ledger_balances(wallet: Wallet, people: Sequence[str]) -> None:
    db = wallet.pool
    assert await db.fetchval("SELECT coalesce(sum(amount), 0) FROM posting_lines") == 0
    assert await db.fetch("SELECT posting_seq FROM posting_lines GROUP BY 1 HAVING sum(amount) <> 0") == []
    async with db.acquire() as conn:
        book = PostgresWalletBook(connection(conn))
        for psn_no in people:
            row = await book.account(psn_no)
            if row is not None:
                assert row.balances == balances_of(psn_no, await book.postings_of(psn_no)), psn_no


async def test_a_run_of_claims_paid_in_one_batch_leaves_exactly_what_paying_them_one_by_one_leaves(wallets) -> None:
    batched, reference = wallets
    f = Families()
    for wallet in wallets:
        await f.set_up(wallet)
    in_run = claim(f.e1, 25_00, hospital=PHARMACY)
    m2_first = claim(f.m2, 30_00, acct_used_flag=False)
    first_run = [
        claim(f.e1, 40_00),
        m2_first,                                                 # family money first: the patient declined
        claim(f.m1, 100_00),                                      # a resident: H1's money
        claim(f.h1, 350_00),                                      # the holder's own claim, after M2's and M1's
        claim(f.m1, 100_00),                                      # what is left of H1's money, then cash
        claim(f.e2, 50_00),                                       # first use in 2026: a rollover posting first
        f.old,                                                    # paid before the run: the first answer again
        f.old.model_copy(update={"psn_part_amt": 11_00}),        # SETTLEMENT_ID_REUSED
        in_run, in_run,                                           # twice in the run: paid once, answered twice
        in_run.model_copy(update={"acct_used_flag": False}),      # SETTLEMENT_ID_REUSED within the run
        claim(f.new1, 15_00),                                     # no row yet: opened, all cash
        claim(f.new3, 0),                                         # a zero personal part: a row, no posting
        claim(f.m3, 80_00),                                       # H3 (bound first) then H2
        claim(f.m4, 20_00),                                       # a premium-only binding pays no claim
    ]
    cancel = c.ClaimCancellationAdjudicated(claim_id=m2_first.claim_id, cancel_id=new_id("X"),
                                            setl_id=m2_first.setl_id, psn_no=f.m2, fixmedins_code=HOSPITAL)
    second_run = [claim(f.m2, 10_00, acct_used_flag=False), claim(f.e1, 500_00), claim(f.m1, 10_00)]
    values = [message(m) for m in (*first_run, cancel, *second_run)]
    answered_before = len((await state_of(reference))["answers"])

    assert await batched.consume(values) == 1  # no message needed the per-message fallback
    assert await reference.consume(values) == 1
    assert batched.runs == [len(first_run), len(second_run)] and reference.runs == []

    expected = await state_of(reference)
    assert await state_of(batched) == expected

    answers = [payload for *_, payload in expected["answers"][answered_before:]]
    assert len(answers) == len(values)
    by_kind = [(a.get("reason_code"), a.get("acct_pay"), a.get("acct_mulaid_pay"), a.get("psn_cash_pay"))
               for a in answers]
    assert by_kind[1:5] == [(None, 0, 30_00, 0), (None, 0, 100_00, 0), (None, 350_00, 0, 0), (None, 0, 20_00, 80_00)]
    assert answers[6] == first_answer(expected, f.old.claim_id) and by_kind[7][0] == "SETTLEMENT_ID_REUSED"
    assert answers[8] == answers[9] and by_kind[10][0] == "SETTLEMENT_ID_REUSED"
    # (a 70-character claim id, INVALID_REQUEST here before, is refused by the contract's bounds now: no answer
    # of the wallet's, a dead letter of the runtime's)
    assert by_kind[13] == (None, 0, 80_00, 0)
    assert by_kind[14] == (None, 0, 0, 20_00) and by_kind[16] == (None, 0, 10_00, 0)
    people = [r[0] for r in expected["accounts"]]
    assert f.new1 in people and f.new3 in people
    assert any(key == f"rollover:{f.e2}:2026" for key, *_ in expected["ledger"])
    await the_ledger_balances(batched, people)


async def test_a_run_the_batch_cannot_take_is_replayed_one_by_one_with_the_same_result(wallets) -> None:
    batched, reference = wallets
    f = Families()
    for wallet in wallets:
        await f.set_up(wallet)
    first = claim(f.e1, 20_00)
    readjudicated = first.model_copy(update={"setl_id": f"{first.setl_id}-2"})  # UNIQUE (fixmedins_code, claim_id)
    values = [message(m) for m in (claim(f.m1, 5_00), first, readjudicated, claim(f.e1, 7_00))]
    runs_before = list(batched.runs)

    assert await batched.consume(values) == 2  # the run failed as a whole, then went message by message
    assert await reference.consume(values) == 2
    assert batched.runs == runs_before

    expected = await state_of(reference)
    assert await state_of(batched) == expected
    assert expected["dead_letters"] == 1  # only the re-adjudicated claim, as one by one


def first_answer(state: dict[str, Any], claim_id: str) -> dict[str, Any]:
    return next(payload for _, _, _, correlation_id, _, payload in state["answers"] if correlation_id == claim_id)


async def test_a_run_of_50_claims_costs_a_few_statements_not_a_dozen_per_claim(wallets) -> None:
    batched, _ = wallets
    f = Families()
    await f.set_up(batched)
    patients = [f.e1, f.e2, f.h1, f.m1, f.m2, f.m3, f.m4, f.h2, f.h3, f.new1]
    envelopes = [new_envelope(claim(patients[n % len(patients)], 3_00 + n), producer="settlement",
                              correlation_id=new_id("C")) for n in range(50)]

    async def statements(conn: asyncpg.Connection, handle: Any) -> tuple[int, list[Any]]:
        """The statements the handler sends on the transaction's connection (savepoints too) and its
        answers; rolled back after, so every way starts from the same rows."""
        sent: list[str] = []

        def count(query: Any) -> None:
            sent.append(query.query)

        tx = AnswersKept(conn)
        outer = conn.transaction()
        await outer.start()
        conn.add_query_logger(count)
        try:
            await handle(tx)
            await asyncio.sleep(0)  # the logger's callbacks run on the next turn of the loop
        finally:
            conn.remove_query_logger(count)
            await outer.rollback()
        return len(sent), [decode(m.value).payload for m in tx.answers]

    async def one_by_one(tx: Any) -> None:
        for env in envelopes:
            await batched.handlers.pay_personal_part(tx, env.payload, env)

    async def as_a_run(tx: Any) -> None:
        await batched.handlers.pay_personal_parts(tx, envelopes)

    async with batched.pool.acquire() as conn:
        for way in (one_by_one, as_a_run):  # asyncpg learns the array types once per connection: not counted
            await statements(conn, way)
        per_message, one_by_one_answers = await statements(conn, one_by_one)
        batch, run_answers = await statements(conn, as_a_run)
    assert run_answers == one_by_one_answers and all(isinstance(a, c.PersonalPartPaid) for a in run_answers)
    assert batch <= 12
    assert per_message >= 10 * 50


class AnswersKept(postgres.PgTransaction):
    """The runtime's transaction, keeping what the handler published for the test to read."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        super().__init__(conn)
        self.answers: list[Any] = []

    def publish(self, message: Any) -> None:
        super().publish(message)
        self.answers.append(message)
