"""The console's projection on the real Postgres: outcomes and submissions in, pages' figures and
supervision alerts out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import cast

import asyncpg
import pytest

from libs.contracts import claims as c
from libs.contracts.envelope import new_envelope
from libs.db.migrations import migrate
from libs.messaging import postgres
from services.console.adapters import projection as store
from services.console.bootstrap import MIGRATIONS
from services.console.service_layer import projection, supervision
from tests.support.claims import outpatient_claim

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC)
CT = "002103000010000"


@pytest.fixture
async def conn(namespace) -> AsyncIterator[asyncpg.Connection]:
    admin = await asyncpg.connect(namespace.stack.dsn("postgres"))
    name = f"{namespace.prefix}console_projection"
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    await admin.execute(f'CREATE DATABASE "{name}"')
    connection = await asyncpg.connect(namespace.stack.dsn(name))
    await migrate(connection, {"messaging": postgres.MIGRATIONS, "console": MIGRATIONS})
    try:
        yield connection
    finally:
        await connection.close()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def submitted(claim_id: str, psn: str, hospital: str, lines, trace: str | None = None, when: datetime = NOW):
    claim = outpatient_claim(claim_id, psn, hospital=hospital, lines=lines)
    if trace:
        claim = claim.model_copy(update={"fee_details": [
            line.model_copy(update={"drug_trac_codg": [trace]}) for line in claim.fee_details]})
    return new_envelope(claim, producer=hospital, correlation_id=claim_id, occurred_at=when)


def settled(claim_id: str, psn: str, hospital: str, fund: int = 60_00, when: datetime = NOW):
    amounts = c.SettlementAmounts(medfee_sumamt=100_00, fulamt_ownpay_amt=0, overlmt_selfpay=0, preselfpay_amt=0,
                                  inscp_scp_amt=100_00, act_pay_dedc=0, hifp_pay=fund, pool_prop_selfpay=Decimal("0.6"),
                                  fund_pay_sumamt=fund, psn_part_amt=100_00 - fund)
    payload = c.ClaimSettled(claim_id=claim_id, fixmedins_code=hospital, psn_no=psn, setl_id=f"S{claim_id}",
                             insutype="310", med_type="11", insuplc_admdvs="371300", mdtrtarea_admvs="371300",
                             setl_time=when, amounts=amounts, acct_pay=0, acct_mulaid_pay=0,
                             psn_cash_pay=100_00 - fund, balc=0, setldetail=[], explanation=["hifp: 60 %"])
    return new_envelope(payload, producer="settlement", correlation_id=claim_id, occurred_at=when + timedelta(milliseconds=80))


Tx = postgres.PgTransaction  # the runtime's transaction, on the test's connection


async def flow(conn, *pairs) -> None:
    await projection.submissions(Tx(conn), [s for s, _ in pairs])
    await projection.outcomes(Tx(conn), [o for _, o in pairs])


BOX = [("XA10BAD010A001010100593", Decimal("12.50"), Decimal("1"))]


async def test_a_code_sold_at_two_pharmacies_and_a_ct_done_twice_are_alerts_with_their_claims(conn) -> None:
    await flow(conn,
               (submitted("A1", "P1", "H1", BOX, trace="T" * 20), settled("A1", "P1", "H1")),
               (submitted("A2", "P2", "H2", BOX, trace="T" * 20), settled("A2", "P2", "H2", fund=30_00)),
               (submitted("A3", "P3", "H1", [(CT, Decimal("160"), Decimal("1"))], when=NOW - timedelta(days=10)),
                settled("A3", "P3", "H1", when=NOW - timedelta(days=10))),
               (submitted("A4", "P3", "H2", [(CT, Decimal("160"), Decimal("1"))]), settled("A4", "P3", "H2")))
    alerts = {a.rule: a for a in await supervision.alerts(conn, NOW + timedelta(seconds=1), frozenset({CT}))}
    assert alerts["DRUG_TRACE_CODE_SOLD_TWICE"].claim_ids == ("A1", "A2")
    assert alerts["DRUG_TRACE_CODE_SOLD_TWICE"].fund_at_stake == 30_00
    assert alerts["LARGE_EXAM_REPEATED"].claim_ids == ("A3", "A4")


def refused(claim_id: str, psn: str, hospital: str, reason_code: str):
    payload = c.ClaimRejected(claim_id=claim_id, fixmedins_code=hospital, psn_no=psn, reason_code=reason_code,
                              reason="a box of this claim was sold already")
    return new_envelope(payload, producer="settlement", correlation_id=claim_id)


async def test_a_box_the_engine_refused_to_pay_twice_is_an_alert_naming_both_claims(conn) -> None:
    await flow(conn,
               (submitted("D1", "P1", "H1", BOX, trace="R" * 20), settled("D1", "P1", "H1")),
               (submitted("D2", "P2", "H2", BOX, trace="R" * 20), refused("D2", "P2", "H2", "TRACEABILITY_CODE_REUSED")))
    [alert] = await supervision.alerts(conn, NOW + timedelta(seconds=1), frozenset({CT}))
    assert (alert.rule, alert.claim_ids, alert.facts["refused_attempts"]) == ("DRUG_TRACE_CODE_SOLD_TWICE", ("D1", "D2"), 1)


async def test_the_overview_counts_outcomes_and_measures_submit_to_reply(conn) -> None:
    await flow(conn, (submitted("B1", "P1", "H1", BOX), settled("B1", "P1", "H1")))
    figures = await store.flow(conn, NOW - timedelta(minutes=10), 10)
    assert figures["totals"]["settled"] == 1
    assert figures["latency_ms"]["p50"] == pytest.approx(80, abs=1)


async def test_a_message_seen_twice_is_one_row(conn) -> None:
    pair = (submitted("C1", "P1", "H1", BOX), settled("C1", "P1", "H1"))
    await flow(conn, pair, pair)
    assert await conn.fetchval("SELECT count(*) FROM outcomes WHERE claim_id = 'C1'") == 1


async def test_the_projection_forgets_what_is_older_than_its_retention(conn) -> None:
    from services.console.adapters.retention import purge

    old = NOW - timedelta(days=100)
    await flow(conn, (submitted("E1", "P1", "H1", BOX, when=old), settled("E1", "P1", "H1", when=old)),
               (submitted("E2", "P1", "H1", BOX), settled("E2", "P1", "H1")))

    class Pool:
        def acquire(self):
            return _Same(conn)

    # a pool that hands out the test's connection, inside the transaction the test rolls back
    assert await purge(cast(asyncpg.Pool, Pool()), timedelta(days=95)) == (1, 1)
    assert await conn.fetchval("SELECT array_agg(claim_id) FROM outcomes") == ["E2"]


class _Same:
    def __init__(self, conn) -> None:
        self.conn = conn

    async def __aenter__(self):
        return self.conn

    async def __aexit__(self, *exc) -> None:
        return None


async def test_the_funds_series_of_one_insured_region_leaves_the_others_out_and_each_region_keeps_its_totals(conn) -> None:
    other = settled("F2", "P8", "H2", fund=40_00).model_copy(
        update={"payload": settled("F2", "P8", "H2", fund=40_00).payload.model_copy(update={"insuplc_admdvs": "430100"})})
    await flow(conn, (submitted("F1", "P7", "H1", BOX), settled("F1", "P7", "H1", fund=60_00)),
               (submitted("F2", "P8", "H2", BOX), other))
    every = await store.funds(conn, NOW - timedelta(hours=1), 3600)
    one = await store.funds(conn, NOW - timedelta(hours=1), 3600, "430100")
    assert sum(b["hifp_pay"] for b in every["series"]) == 100_00
    assert (one["region"], sum(b["hifp_pay"] for b in one["series"])) == ("430100", 40_00)
    assert {r["region"]: r["hifp_pay"] for r in one["regions"]} == {"371300": 60_00, "430100": 40_00}


def cancelled(claim_id: str, psn: str, hospital: str):
    done = settled(claim_id, psn, hospital).payload
    payload = c.ClaimCancelled(claim_id=claim_id, fixmedins_code=hospital, psn_no=psn, cancel_id=f"X{claim_id}",
                               setl_id=done.setl_id, insuplc_admdvs="371300", mdtrtarea_admvs="371300", cancel_time=NOW,
                               amounts=done.amounts, setldetail=[], acct_pay=0, acct_mulaid_pay=0, psn_cash_pay=40_00)
    return new_envelope(payload, producer="settlement", correlation_id=claim_id, occurred_at=NOW + timedelta(seconds=1))


async def test_refund_lines_and_cancellations_together_are_a_spike_of_an_institution_that_usually_has_none(conn) -> None:
    refunded = [*BOX, ("XA10BAD010A001010100593", Decimal("12.50"), Decimal("-1"))]  # 退费: a box handed back
    await flow(conn, *[(submitted(f"G{n}", f"P{n}", "H5", refunded), settled(f"G{n}", f"P{n}", "H5")) for n in range(3)],
               *[(submitted(f"K{n}", f"Q{n}", "H5", BOX), settled(f"K{n}", f"Q{n}", "H5")) for n in range(4)])
    await projection.outcomes(Tx(conn), [cancelled("K0", "Q0", "H5"), cancelled("K1", "Q1", "H5"), cancelled("G0", "P0", "H5")])
    alerts = [a for a in await supervision.alerts(conn, NOW + timedelta(seconds=2), frozenset({CT}))
              if a.rule == "CANCELLATION_SPIKE"]
    assert [(a.subject, a.claim_ids, a.facts["cancellations"]) for a in alerts] == [
        ("H5", ("G0", "G1", "G2", "K0", "K1"), 5)]


async def test_settling_at_four_places_is_counted_by_china_s_day_not_utc_s(conn) -> None:
    from services.console.adapters import supervision_facts

    day = datetime(2026, 6, 1, 16, 0, tzinfo=UTC)  # 2 June 00:00 in China
    spread = [day + timedelta(minutes=30), day + timedelta(hours=4), day + timedelta(hours=10), day + timedelta(hours=23)]
    await flow(conn, *[(submitted(f"M{n}", "P9", f"H{n}", BOX, when=at), settled(f"M{n}", "P9", f"H{n}", when=at))
                       for n, at in enumerate(spread)])
    found = await supervision_facts.people_at_many_places(conn, day - timedelta(days=1), 4)
    assert sorted(c.claim_id for c in found) == ["M0", "M1", "M2", "M3"]  # by UTC's day: two and two, no alert
