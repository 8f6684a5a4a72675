"""One claim walking end to end through four service processes on the real Kafka and Postgres."""

from __future__ import annotations

import asyncio
import random
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from libs.china_time import china_date
from libs.contracts.registry import encode
from libs.contracts.topics import CLAIMS_OUTCOMES, CLAIMS_SUBMITTED, DEAD_LETTER, ENROLLMENT_COMMANDS, WALLET_COMMANDS
from tests.support.claims import outpatient_claim
from tests.support.clients import Publisher, TopicReader, new_id
from tests.support.people import credit, register
from tests.support.processes import Services

pytestmark = pytest.mark.e2e

PEOPLE = [f"P{n:05d}" for n in range(40)]
EMPLOYEES = PEOPLE[:30]


async def count(namespace, service: str, sql: str) -> int:
    conn = await asyncpg.connect(namespace.dsn(service))
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


async def count_reaches(namespace, service: str, sql: str, expected: int, timeout: float = 60.0) -> int:
    """`count` once it equals `expected`, or its last value after `timeout`: for a follower (clearing), which
    runs at a lower CPU priority and gathers its batches, so it may trail the outcomes on a busy machine."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = await count(namespace, service, sql)
        if found == expected or asyncio.get_running_loop().time() >= deadline:
            return found
        await asyncio.sleep(0.5)


@pytest.fixture(scope="module")
async def system(own_namespace, tmp_path_factory) -> AsyncIterator[Services]:
    namespace = own_namespace
    services = Services(namespace.process_env, Path(tmp_path_factory.mktemp("logs")))
    await asyncio.to_thread(services.start)
    try:
        await enroll_everyone(namespace)
        yield services
    finally:
        await asyncio.to_thread(services.stop)


async def enroll_everyone(namespace) -> None:
    async with Publisher(namespace.stack.kafka_bootstrap, namespace.topic_prefix) as office:
        for seq, psn in enumerate(PEOPLE):
            await office.send(ENROLLMENT_COMMANDS, psn, register(psn, seq, insutype="310" if psn in EMPLOYEES else "390"), f"reg-{psn}")
        for psn in EMPLOYEES:
            await office.send(WALLET_COMMANDS, psn, credit(psn, 300_00), f"credit-{psn}")
    for _ in range(600):
        if (await count(namespace, "settlement", "SELECT count(*) FROM coverage") == len(PEOPLE)
                and await count(namespace, "wallet",
                                "SELECT count(*) FROM accounts WHERE prior_years + current_year + wallet > 0") == len(EMPLOYEES)):
            break
        await asyncio.sleep(0.1)
    else:
        pytest.fail("enrollment did not reach settlement and wallet")


@pytest.fixture
def namespace(own_namespace):
    """Every test here works in the module's own namespace, where the services run."""
    return own_namespace


@pytest.fixture
async def hospital(namespace) -> AsyncIterator[tuple[Publisher, TopicReader]]:
    async with Publisher(namespace.stack.kafka_bootstrap, namespace.topic_prefix) as pub, \
            TopicReader(namespace.stack.kafka_bootstrap, namespace.topic_prefix, CLAIMS_OUTCOMES) as outcomes:
        yield pub, outcomes


def distinct_outcomes(outcomes: TopicReader, claim_id: str) -> set[str]:
    return {str(e.event_id) for e in outcomes.by_correlation.get(claim_id, [])}


async def test_a_thousand_claims_each_get_exactly_one_outcome_and_are_stored_once(system, namespace, hospital) -> None:
    pub, outcomes = hospital
    rng = random.Random(7)
    claims = []
    for _ in range(1000):
        psn = rng.choice(PEOPLE)
        insutype = "310" if psn in EMPLOYEES else "390"
        home = {"310": "371300", "390": "430100"}[insutype]
        treated = rng.choice([home, home, "370100" if insutype == "310" else "371300"])
        claims.append(outpatient_claim(new_id("C"), psn, insutype=insutype, treated=treated))
    for claim in claims:
        await pub.send(CLAIMS_SUBMITTED, claim.psn_no, claim, claim.claim_id)
    await pub.flush()
    ids = [c.claim_id for c in claims]
    await outcomes.wait_for(lambda: all(outcomes.by_correlation.get(i) for i in ids), timeout=180)
    await asyncio.sleep(1.0)  # anything doubled would arrive now
    assert all(len(distinct_outcomes(outcomes, i)) == 1 for i in ids)
    settled = [outcomes.by_correlation[i][0].payload for i in ids]
    assert {s.event_type for s in settled} == {"ClaimSettled"}
    for s in settled:
        a = s.amounts
        assert a.medfee_sumamt == a.fulamt_ownpay_amt + a.overlmt_selfpay + a.preselfpay_amt + a.inscp_scp_amt
        assert a.medfee_sumamt == a.fund_pay_sumamt + a.psn_part_amt
        assert a.psn_part_amt == s.acct_pay + s.acct_mulaid_pay + s.psn_cash_pay
    in_list = "(" + ",".join(f"'{i}'" for i in ids) + ")"
    assert await count(namespace, "settlement",
                       f"SELECT count(DISTINCT claim_id) FROM claims WHERE claim_id IN {in_list} AND status = 'settled'") == 1000
    assert await count(namespace, "wallet", f"SELECT count(*) FROM claim_payments WHERE claim_id IN {in_list}") == 1000
    # Clearing records what a fund paid across regions; a bill under the deductible creates nothing.
    cross = sum(1 for c, s in zip(claims, settled, strict=False)
                if c.mdtrtarea_admvs != c.insuplc_admdvs and s.amounts.fund_pay_sumamt)
    assert cross > 0
    assert await count_reaches(namespace, "clearing",
                               f"SELECT count(DISTINCT setl_id) FROM obligations WHERE claim_id IN {in_list}", cross) == cross


async def test_duplicates_and_a_restart_mid_stream_double_nothing_and_lose_nothing(system, namespace, hospital) -> None:
    pub, outcomes = hospital
    rng = random.Random(11)
    claims = [outpatient_claim(new_id("D"), psn, insutype="310") for psn in (rng.choice(EMPLOYEES) for _ in range(300))]
    balance_before = await count(namespace, "wallet", "SELECT sum(prior_years + current_year + wallet) FROM accounts")
    for n, claim in enumerate(claims):
        value = encode(pub.envelope(claim, claim.claim_id))
        await pub.send_raw(CLAIMS_SUBMITTED, claim.psn_no, value)
        await pub.send_raw(CLAIMS_SUBMITTED, claim.psn_no, value)  # the same event delivered twice
        if n == 100:
            await pub.flush()
            await asyncio.to_thread(system["wallet"].stop, signal.SIGKILL)
            system["wallet"].start()
        if n == 200:
            await pub.flush()
            await asyncio.to_thread(system["settlement"].stop, signal.SIGTERM)
            system["settlement"].start()
    await pub.flush()
    ids = [c.claim_id for c in claims]
    await outcomes.wait_for(lambda: all(outcomes.by_correlation.get(i) for i in ids), timeout=180)
    await asyncio.sleep(2.0)
    assert all(len(distinct_outcomes(outcomes, i)) == 1 for i in ids)
    in_list = "(" + ",".join(f"'{i}'" for i in ids) + ")"
    assert await count(namespace, "wallet", f"SELECT count(*) FROM claim_payments WHERE claim_id IN {in_list}") == 300
    paid = await count(namespace, "wallet",
                       f"SELECT coalesce(sum(acct_pay + acct_mulaid_pay), 0) FROM claim_payments WHERE claim_id IN {in_list}")
    assert await count(namespace, "wallet", "SELECT sum(prior_years + current_year + wallet) FROM accounts") == balance_before - paid
    fund_paid = sum(outcomes.by_correlation[i][0].payload.amounts.fund_pay_sumamt for i in ids)
    entries = f"FROM fund_entries e JOIN claims c USING (setl_id) WHERE c.claim_id IN {in_list}"
    assert await count(namespace, "settlement", f"SELECT sum(debit) - sum(credit) {entries}") == 0
    assert await count(namespace, "settlement", f"SELECT sum(debit) {entries} AND account LIKE 'fund:%'") == fund_paid


async def test_malformed_messages_are_answered_or_dead_lettered_and_the_consumer_goes_on(system, namespace, hospital) -> None:
    """A malformed claim whose hospital and id can be read is answered (INVALID_CLAIM, docs/security.md,
    "Bad input"); what cannot be routed is dead-lettered."""
    pub, outcomes = hospital
    good = outpatient_claim(new_id("G"), EMPLOYEES[0])
    wrong = outpatient_claim(new_id("W"), EMPLOYEES[0])
    wrong_types = encode(pub.envelope(wrong, "w")).replace(b'"hosp_lv":"3"', b'"hosp_lv":42')
    teleported = outpatient_claim(new_id("T"), EMPLOYEES[0])
    unknown = encode(pub.envelope(teleported, "u")).replace(b'"ClaimSubmitted"', b'"ClaimTeleported"')
    async with TopicReader(namespace.stack.kafka_bootstrap, namespace.topic_prefix, DEAD_LETTER, decode_envelopes=False) as dlq:
        for value in (b"{not json", wrong_types, unknown):
            await pub.send_raw(CLAIMS_SUBMITTED, EMPLOYEES[0], value)
        await pub.send(CLAIMS_SUBMITTED, good.psn_no, good, good.claim_id)
        await pub.flush()
        await outcomes.wait_for(lambda: outcomes.by_correlation.get(good.claim_id), timeout=60)
        await outcomes.wait_for(lambda: all(outcomes.by_correlation.get(c.claim_id) for c in (wrong, teleported)), timeout=30)
        await dlq.wait_for(lambda: len(dlq.raw) >= 1, timeout=30)
        assert [r.value for r in dlq.raw] == [b"{not json"]
        assert "not JSON" in dict(dlq.raw[0].headers)["dlq.reason"].decode()
        assert dict(dlq.raw[0].headers)["dlq.source.topic"].decode() == namespace.topic_prefix + CLAIMS_SUBMITTED.name
    [refused_types] = outcomes.by_correlation[wrong.claim_id]
    [refused_unknown] = outcomes.by_correlation[teleported.claim_id]
    assert refused_types.payload.reason_code == refused_unknown.payload.reason_code == "INVALID_CLAIM"
    assert "hosp_lv" in refused_types.payload.reason and "ClaimTeleported" in refused_unknown.payload.reason


async def test_an_offices_manual_reimbursement_is_paid_from_the_funds_and_the_personal_account(system, namespace) -> None:
    """零星报销 through the four processes: the office's command, settlement, the real wallet, the payout."""
    from datetime import date, datetime
    from decimal import Decimal

    from libs.contracts import reimbursement as r
    from libs.contracts.topics import REIMBURSEMENTS_COMMANDS, REIMBURSEMENTS_OUTCOMES

    psn, ref = "P09999", new_id("MR")  # an employee of their own: the other tests' claims leave the others' accounts uncertain
    async with Publisher(namespace.stack.kafka_bootstrap, namespace.topic_prefix) as enrollment_office:
        await enrollment_office.send(ENROLLMENT_COMMANDS, psn, register(psn, 99, insutype="310"), f"reg-{psn}")
        await enrollment_office.send(WALLET_COMMANDS, psn, credit(psn, 300_00), f"credit-{psn}")
    for _ in range(600):
        if (await count(namespace, "settlement", f"SELECT count(*) FROM coverage WHERE psn_no = '{psn}'")
                and await count(namespace, "wallet", f"SELECT count(*) FROM accounts WHERE psn_no = '{psn}'"
                                                     " AND prior_years + current_year + wallet > 0")):
            break
        await asyncio.sleep(0.1)
    bill = outpatient_claim("unused", psn, insutype="310", treated="430100", med_type="21", hosp_lv="2",
                            lines=(("001102000010000", Decimal("50.00"), Decimal("4")),
                                   ("003311000010000", Decimal("1500.00"), Decimal("1"))))
    total = sum(line.det_item_fee_sumamt for line in bill.fee_details)
    submit = r.SubmitReimbursement(
        office_ref=ref, reason="non_networked_institution", received_on=date(2026, 7, 1), psn_no=psn, insutype="310",
        insuplc_admdvs="371300", mdtrtarea_admvs="430100", fixmedins_code="H43019900001", hosp_lv="2", med_type="21",
        begntime=datetime(2026, 6, 10, 9), endtime=datetime(2026, 6, 14, 9), fee_details=bill.fee_details,
        receipts=[r.Receipt(receipt_no=f"R{ref}", issued_on=date(2026, 6, 14), amount=total)])
    claim_id = f"MR-371300-{ref}"
    async with Publisher(namespace.stack.kafka_bootstrap, namespace.topic_prefix) as office, \
            TopicReader(namespace.stack.kafka_bootstrap, namespace.topic_prefix, REIMBURSEMENTS_OUTCOMES) as answers:
        await office.send(REIMBURSEMENTS_COMMANDS, psn, submit, claim_id)
        await office.flush()
        await answers.wait_for(lambda: answers.by_correlation.get(claim_id), timeout=120)
        settled = answers.by_correlation[claim_id][0].payload
        assert settled.event_type == "ReimbursementSettled", settled
        assert settled.acct_pay > 0  # the employee's account paid part of their share, to them
        assert settled.payable_amt == settled.amounts.fund_pay_sumamt + settled.acct_pay + settled.acct_mulaid_pay
        payout = r.RecordReimbursementPayout(office_ref=ref, insuplc_admdvs="371300", psn_no=psn, bank_ref="BANK-1",
                                             amount=settled.payable_amt)
        await office.send(REIMBURSEMENTS_COMMANDS, psn, payout, claim_id)
        await office.flush()
        await answers.wait_for(lambda: len(answers.by_correlation.get(claim_id, [])) > 1, timeout=60)
        assert answers.by_correlation[claim_id][1].payload.event_type == "ReimbursementPaidOut"
    owed = await count(namespace, "settlement", "SELECT coalesce(sum(credit - debit), 0) FROM fund_entries"
                                                f" WHERE account = 'payable:371300:person:{psn}'")
    assert owed == 0
    # Enrollment counts it as the funds paying in the year it was settled (the no-claim-year incentive, 零报销).
    year = china_date(settled.setl_time).year
    assert await count_reaches(namespace, "enrollment", "SELECT count(*) FROM fund_payment_years"
                                                       f" WHERE psn_no = '{psn}' AND settlement_year = {year}"
                                                       f" AND fund_paid = {settled.amounts.fund_pay_sumamt}", 1) == 1
