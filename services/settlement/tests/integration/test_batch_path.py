"""The set-based path agrees with the per-message path, on the real Postgres, and costs three statements a run.

The same traffic is played twice in one database, for two disjoint sets of people: once message by
message (the reference, what the runtime does when it isolates a failure), once as runs. Everything
either path writes or sends, with the people's and claims' ids taken out, must be the same.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import orjson
import pytest

from libs.contracts import claims as c
from libs.contracts.enrollment import CoverageChanged
from libs.contracts.envelope import new_envelope
from libs.contracts.registry import decode
from libs.db.migrations import migrate
from libs.messaging import postgres
from libs.messaging.postgres import PgDatabase
from services.settlement.adapters.claim_store import RunClaimStore
from services.settlement.adapters.store import PgSettlementStore
from services.settlement.bootstrap import MIGRATIONS
from services.settlement.bootstrap import handlers as settlement_handlers
from services.settlement.service_layer.handlers import SettlementHandlers
from tests.support.claims import outpatient_claim
from tests.support.pg import connection

pytestmark = pytest.mark.integration

INPATIENT_LINES = (
    ("001102000010000", Decimal("50.00"), Decimal("5")),
    ("XJ01DDA064B002010100367", Decimal("8.80"), Decimal("10")),
    ("003311000010000", Decimal("1500.00"), Decimal("1")),
)
MRI = ("002103000030000", Decimal("450.00"), Decimal("1"))  # a large-equipment exam (磁共振)
IDS = ("claim_id", "psn_no", "setl_id", "mdtrt_id", "setl_time")


def traffic(p: str) -> list[c.ClaimSubmitted]:
    """Claims of people `p`1…`p`4, with every kind of interplay a run can hold."""
    day = datetime(2026, 6, 1, 9, 30)
    boxed = outpatient_claim(f"{p}c7", f"{p}3", insutype="390")
    boxed.fee_details[1].drug_trac_codg.append(f"{p}-TRACE-1")
    reboxed = outpatient_claim(f"{p}c8", f"{p}3", insutype="390", when=datetime(2026, 6, 2, 9))
    reboxed.fee_details[1].drug_trac_codg.append(f"{p}-TRACE-1")  # the same box again: refused
    first = outpatient_claim(f"{p}c1", f"{p}1", insutype="390", when=day)
    return [
        first,
        outpatient_claim(f"{p}c2", f"{p}1", insutype="390", when=day),  # the same day: the daily cap in between
        outpatient_claim(f"{p}c3", f"{p}1", insutype="390", when=day, action="presettle"),  # sees c1 and c2
        outpatient_claim(f"{p}c4", f"{p}2", insutype="390", lines=INPATIENT_LINES, med_type="21", when=day),
        outpatient_claim(f"{p}c5", f"{p}2", insutype="390", lines=INPATIENT_LINES, med_type="21",
                         when=datetime(2026, 7, 1, 9)),  # a second admission: the reduced deductible
        first,  # the hospital sent it again before the wallet answered: nothing more happens
        outpatient_claim(f"{p}c1", f"{p}1", insutype="390", when=datetime(2026, 6, 3, 9)),  # id reused: refused
        outpatient_claim(f"{p}c6", f"{p}9", insutype="390"),  # nobody: not insured
        boxed, reboxed,
        outpatient_claim(f"{p}c9", f"{p}4", insutype="390", lines=(MRI,), when=day),
        outpatient_claim(f"{p}c10", f"{p}4", insutype="390", lines=(MRI,), when=datetime(2026, 6, 20, 9)),
        outpatient_claim(f"{p}c11", f"{p}1", insutype="390", when=datetime(2027, 1, 2, 9)),  # no 2027 pack: refused
        outpatient_claim(f"{p}c12", f"{p}1", insutype="390", when=datetime(2026, 12, 30, 9)),
    ]


class Counting:
    """The connection, counting the statements sent through it."""

    def __init__(self, conn: Any) -> None:
        self._conn, self.statements = conn, 0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._conn, name)
        if name in ("execute", "executemany", "fetch", "fetchrow", "fetchval"):
            self.statements += 1
        return attr


@pytest.fixture(scope="module")
async def database(namespace):
    pool = await asyncpg.create_pool(namespace.dsn("settlement"), min_size=1, max_size=2)
    async with pool.acquire() as conn:
        await migrate(conn, {"messaging": postgres.MIGRATIONS, "settlement": MIGRATIONS})
        for p in ("QQA", "QQB"):
            for n in (1, 2, 3, 4):
                snapshot = CoverageChanged(psn_no=f"{p}{n}", version=1, insutype="390", insuplc_admdvs="430100",
                                           gend="1", age=40, active=True, coverage_begin=date(2020, 1, 1))
                await PgSettlementStore(connection(conn)).upsert_coverage(snapshot.psn_no, 1, snapshot.model_dump(mode="json"))
    yield PgDatabase(pool)
    await pool.close()


def sent(tx: Any) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for message in tx._outbox:
        envelope = decode(message.value)
        body = envelope.payload.model_dump(mode="json", exclude=set(IDS))
        out.append((envelope.event_type, orjson.loads(orjson.dumps(body).replace(b"QQA", b"QQX").replace(b"QQB", b"QQX"))))
    return out


async def written(database: PgDatabase, p: str) -> dict[str, Any]:
    assert database.pool is not None
    async with database.pool.acquire() as conn:
        people = [f"{p}{n}" for n in range(1, 10)]
        accumulators = await conn.fetch(
            "SELECT * FROM accumulators WHERE psn_no = ANY($1) ORDER BY psn_no, year", people)
        daily = await conn.fetch("SELECT * FROM accumulators_daily WHERE psn_no = ANY($1) ORDER BY 1, 2", people)
        exams = await conn.fetch("SELECT psn_no, med_list_codg, exam_date FROM large_exams WHERE psn_no = ANY($1)"
                                 " ORDER BY 1, 3", people)
        claims = await conn.fetch("SELECT claim_id, status, amounts, setldetail, accumulator_delta, postings, wallet"
                                  " FROM claims WHERE psn_no = ANY($1) ORDER BY claim_id", people)
        rejections = await conn.fetch("SELECT claim_id, reason_code FROM claim_rejections WHERE claim_id LIKE $1"
                                      " ORDER BY id", f"{p}%")
        entries = await conn.fetch("SELECT e.account, e.debit, e.credit, c.claim_id FROM fund_entries e"
                                   " JOIN claims c USING (setl_id) WHERE c.psn_no = ANY($1) ORDER BY c.claim_id, e.id",
                                   people)
        codes = await conn.fetchval("SELECT count(*) FROM traceability_codes WHERE code LIKE $1", f"{p}-%")

    def strip(rows, *drop):
        return [{k: (v.replace(p, "QQX") if k in ("psn_no", "claim_id") else v) for k, v in dict(r).items()
                 if k not in drop} for r in rows]

    return {"accumulators": strip(accumulators, "updated_at"), "daily": strip(daily), "exams": strip(exams),
            "claims": strip(claims), "rejections": strip(rejections), "entries": strip(entries), "codes": codes}


def envelopes(messages):
    return [new_envelope(m, producer="test", correlation_id=m.claim_id) for m in messages]


def payments(adjudicated: list[tuple[str, dict[str, Any]]], tx: Any) -> list[c.PersonalPartPaid]:
    paid = []
    for message in tx._outbox:
        envelope = decode(message.value)
        if envelope.event_type == "ClaimAdjudicated":
            m = envelope.payload
            paid.append(c.PersonalPartPaid(claim_id=m.claim_id, setl_id=m.setl_id, psn_no=m.psn_no, acct_pay=0,
                                           acct_mulaid_pay=0, psn_cash_pay=m.psn_part_amt, balc=0))
    return paid


async def test_a_run_decides_writes_and_answers_exactly_as_one_message_at_a_time(database) -> None:
    handlers = settlement_handlers()
    async with database.transaction() as one_by_one:
        for env in envelopes(traffic("QQA")):
            await handlers.submit_claim(one_by_one, env)
    async with database.transaction() as as_a_run:
        counting = Counting(as_a_run.conn)
        as_a_run.conn = counting
        await handlers.submit_claims(as_a_run, envelopes(traffic("QQB")))
    assert sent(as_a_run) == sent(one_by_one)
    kinds = [kind for kind, _ in sent(one_by_one)]
    assert kinds.count("ClaimAdjudicated") == 8 and "ClaimPreSettled" in kinds
    assert {body.get("reason_code") for kind, body in sent(one_by_one) if kind == "ClaimRejected"} >= {
        "CLAIM_ID_REUSED", "NOT_INSURED", "TRACEABILITY_CODE_REUSED", "NO_POLICY_PACK"}
    assert counting.statements == 3  # one read (claims, coverage, accumulators locked, days, exams, codes), one write, the outbox

    # the wallet's answers, one by one and as a run
    paid_a, paid_b = payments([], one_by_one), payments([], as_a_run)
    paid_a.append(paid_a[0])  # a repeated answer changes nothing
    paid_b.append(paid_b[0])
    async with database.transaction() as one_by_one:
        for env in envelopes(paid_a):
            await handlers.complete_settlement(one_by_one, env)
    async with database.transaction() as as_a_run:
        counting = Counting(as_a_run.conn)
        as_a_run.conn = counting
        await handlers.complete_settlements(as_a_run, envelopes(paid_b))
    assert sent(as_a_run) == sent(one_by_one)
    assert [kind for kind, _ in sent(one_by_one)] == ["ClaimSettled"] * 8
    assert counting.statements == 3  # lock and read the claims; store the settled ones with their fund entries; the outbox
    assert await written(database, "QQB") == await written(database, "QQA")


async def test_a_run_of_fifty_claims_costs_the_same_few_statements_as_a_run_of_one(database) -> None:
    handlers = settlement_handlers()
    claims = [outpatient_claim(f"R{n}", f"QQA{n % 4 + 1}", insutype="390", when=datetime(2026, 8, n % 28 + 1, 9),
                               lines=[("002501000010000", Decimal("10.00"), Decimal("1"))])
              for n in range(50)]
    async with database.transaction() as tx:
        counting = Counting(tx.conn)
        tx.conn = counting
        await handlers.submit_claims(tx, envelopes(claims))
    assert counting.statements == 3  # one read (claims, coverage, accumulators locked, days, exams, codes), one write, the outbox
    assert [decode(m.value).event_type for m in tx._outbox] == ["ClaimAdjudicated"] * 50


async def test_accumulators_another_transaction_creates_while_a_run_reads_are_locked_and_read_as_committed(
        database) -> None:
    """The run's one read cannot see a row committed after it started; it must lock and read it, not start at zero."""
    claim = outpatient_claim("RACE1", "QQA4", insutype="390", when=datetime(2026, 9, 1, 9))
    pool = database.pool
    async with pool.acquire() as other, pool.acquire() as conn:
        await other.execute("DELETE FROM accumulators WHERE psn_no = 'QQA4' AND year = 2026")
        writer = other.transaction()
        await writer.start()
        await other.execute("INSERT INTO accumulators (psn_no, year, deductible_paid) VALUES ('QQA4', 2026, 12345)")
        async with conn.transaction():
            reading = asyncio.create_task(RunClaimStore.load(conn, [claim]))
            await asyncio.sleep(0.3)
            assert not reading.done()  # the run's insert waits for the other transaction
            await writer.commit()
            store = await reading
            seen = await store.accumulators("QQA4", 2026, date(2026, 9, 1), for_update=True)
            assert seen.deductible_paid == 12345
            assert await other.fetchval("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                                        " WHERE c.relname = 'accumulators' AND l.pid = $1", conn.get_server_pid()) > 0


async def test_a_person_another_transaction_changes_while_a_run_waits_for_the_lock_is_read_as_committed(
        database) -> None:
    """The run's one read takes its snapshot before it waits for the year's row; the day's pooling another
    transaction wrote meanwhile must be read again, or the run would pay past the daily cap and then
    write back a total that loses the other's payment."""
    claim = outpatient_claim("RACE2", "QQA3", insutype="390", when=datetime(2026, 9, 2, 9))
    pool = database.pool
    async with pool.acquire() as other, pool.acquire() as conn:
        await other.execute("INSERT INTO accumulators (psn_no, year) VALUES ('QQA3', 2026) ON CONFLICT DO NOTHING")
        await other.execute("DELETE FROM accumulators_daily WHERE psn_no = 'QQA3' AND service_date = '2026-09-02'")
        writer = other.transaction()
        await writer.start()
        await other.execute("UPDATE accumulators SET outpatient_pooling_paid = outpatient_pooling_paid + 777"
                            " WHERE psn_no = 'QQA3' AND year = 2026")
        await other.execute("INSERT INTO accumulators_daily (psn_no, service_date, outpatient_pooling_paid)"
                            " VALUES ('QQA3', '2026-09-02', 777)")
        async with conn.transaction():
            reading = asyncio.create_task(RunClaimStore.load(conn, [claim]))
            await asyncio.sleep(0.3)
            assert not reading.done()  # the run waits for the other transaction's lock on the year's row
            await writer.commit()
            store = await reading
            seen = await store.accumulators("QQA3", 2026, date(2026, 9, 2), for_update=True)
            assert seen.outpatient_pooling_paid_on_day == 777


async def adjudicated_claim(database: PgDatabase, handlers: SettlementHandlers, claim_id: str) -> c.PersonalPartPaid:
    async with database.transaction() as tx:
        await handlers.submit_claims(tx, envelopes([outpatient_claim(claim_id, "QQB2", insutype="390")]))
    (paid,) = payments([], tx)
    return paid


async def test_an_answer_for_a_claim_already_settled_changes_nothing_and_sends_nothing(database) -> None:
    handlers = settlement_handlers()
    paid = await adjudicated_claim(database, handlers, "ANS1")
    async with database.transaction() as first:
        await handlers.complete_settlements(first, envelopes([paid]))
    async with database.transaction() as again:
        await handlers.complete_settlements(again, envelopes([paid]))
    assert [decode(m.value).event_type for m in first._outbox] == ["ClaimSettled"]
    settled = decode(first._outbox[0].value).payload  # routing headers, for clearing to pass over local claims
    assert first._outbox[0].headers == {"event_type": "ClaimSettled", "insuplc_admdvs": settled.insuplc_admdvs,
                                        "mdtrtarea_admvs": settled.mdtrtarea_admvs}
    assert again._outbox == []
    async with database.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM fund_entries e JOIN claims c USING (setl_id)"
                                   " WHERE c.claim_id = 'ANS1'") == len(
            orjson.loads(await conn.fetchval("SELECT postings FROM claims WHERE claim_id = 'ANS1'")))


async def test_an_answer_settlement_does_not_hold_is_refused_with_nothing_written(database) -> None:
    handlers = settlement_handlers()
    paid = await adjudicated_claim(database, handlers, "ANS2")
    for wrong in (paid.model_copy(update={"setl_id": "S-not-ours"}), paid.model_copy(update={"claim_id": "ANS-none"})):
        with pytest.raises(LookupError):
            async with database.transaction() as tx:
                await handlers.complete_settlements(tx, envelopes([paid, wrong]))
    async with database.pool.acquire() as conn:
        assert await conn.fetchval("SELECT status FROM claims WHERE claim_id = 'ANS2'") == "adjudicated"


async def test_stored_postings_that_do_not_balance_are_refused_with_nothing_written(database) -> None:
    handlers = settlement_handlers()
    paid = await adjudicated_claim(database, handlers, "ANS3")
    async with database.pool.acquire() as conn:
        await conn.execute("UPDATE claims SET postings = '[[\"fund:hifp\", 100, 0], [\"payable:H\", 0, 99]]'"
                           " WHERE claim_id = 'ANS3'")
    with pytest.raises(ValueError, match="unbalanced"):
        async with database.transaction() as tx:
            await handlers.complete_settlements(tx, envelopes([paid]))
    async with database.pool.acquire() as conn:
        assert await conn.fetchval("SELECT status FROM claims WHERE claim_id = 'ANS3'") == "adjudicated"
        assert await conn.fetchval("SELECT count(*) FROM fund_entries e JOIN claims c USING (setl_id)"
                                   " WHERE c.claim_id = 'ANS3'") == 0
