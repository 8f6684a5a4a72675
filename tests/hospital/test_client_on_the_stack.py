"""A HIS on the real stack: pre-settle, settle, cancel, retry after a timeout, and simulated traffic."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from libs.china_time import his_now
from libs.contracts.registry import decode
from libs.contracts.topics import CLAIMS_OUTCOMES, WALLET_PAYMENTS
from libs.hospital.bill import Visit, build_claim, cancel_request
from libs.hospital.client import HospitalClient, OutcomeTimeout
from libs.hospital.reference import catalogue
from libs.hospital.simulator.driver import Driver, RawSender
from libs.hospital.simulator.population import Population, build_population
from libs.hospital.simulator.stream import Rates, TrafficStream
from tests.bench.run import enroll_and_wait
from tests.support.clients import TopicReader
from tests.support.processes import Services

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def population() -> Population:
    return build_population(5, 60, tag="HC", year=his_now().year)


@pytest.fixture(scope="module")
async def system(own_namespace, population, tmp_path_factory) -> AsyncIterator[Services]:
    services = Services(own_namespace.process_env, Path(tmp_path_factory.mktemp("logs")))
    await asyncio.to_thread(services.start)
    try:
        await enroll_and_wait(own_namespace, population, his_now().year, timeout=90)
        yield services
    finally:
        await asyncio.to_thread(services.stop)


def outpatient_visit(population: Population, insutype: str) -> tuple[str, Visit, list[dict]]:
    """A visit of someone insured and treated at home, with two lines from the local catalogue."""
    person = next(p for p in population.people if p.insutype == insutype and not p.cross_region)
    hospital = population.hospitals(person.home_region, ("3",))[0]
    capped = [(i.med_list_codg, i.cap_fen) for i in catalogue(person.home_region) if i.chrgitm_lv == "1" and i.cap_fen][:2]
    lines = [{"feedetl_sn": str(n), "med_list_codg": code, "cnt": "2", "pric": f"{cap_fen / 100:.2f}"}
             for n, (code, cap_fen) in enumerate(capped, 1)]
    visit = Visit(fixmedins_code=hospital.fixmedins_code, hosp_lv="3", mdtrt_id=f"MDT{time.time_ns()}",
                  psn_no=person.psn_no, insutype=insutype, med_type="11", insuplc_admdvs=person.insured_region,
                  mdtrtarea_admvs=person.home_region, begntime=his_now())
    return hospital.fixmedins_code, visit, lines


async def test_a_his_pre_settles_settles_and_cancels_a_visit(system, own_namespace, population) -> None:
    hospital, visit, lines = outpatient_visit(population, "310")
    claim = build_claim(f"HC-{time.time_ns()}", visit, lines)
    async with HospitalClient(own_namespace.stack.kafka_bootstrap, hospital, own_namespace.topic_prefix) as his:
        preview = await his.presettle(claim, timeout=30)
        assert preview.event_type == "ClaimPreSettled", preview.payload
        settled = await his.settle(claim, timeout=30)
        assert settled.event_type == "ClaimSettled", settled.payload
        a = settled.payload.amounts
        assert a.medfee_sumamt == sum(ln.det_item_fee_sumamt for ln in claim.fee_details)
        assert a.medfee_sumamt == a.fund_pay_sumamt + a.psn_part_amt
        assert a.psn_part_amt == settled.payload.acct_pay + settled.payload.acct_mulaid_pay + settled.payload.psn_cash_pay
        cancelled = await his.cancel(cancel_request(claim, f"X{claim.claim_id}", "entered twice"), timeout=30)
        assert cancelled.event_type == "ClaimCancelled", cancelled.payload
        assert cancelled.payload.setl_id == settled.payload.setl_id


async def test_a_retry_after_a_timeout_is_answered_and_pays_once(system, own_namespace, population) -> None:
    hospital, visit, lines = outpatient_visit(population, "310")
    claim = build_claim(f"HR-{time.time_ns()}", visit, lines)
    prefix, bootstrap = own_namespace.topic_prefix, own_namespace.stack.kafka_bootstrap
    async with TopicReader(bootstrap, prefix, WALLET_PAYMENTS) as payments, \
            HospitalClient(bootstrap, hospital, prefix) as his:
        await asyncio.to_thread(system["wallet"].stop)  # the personal part cannot be paid for now
        try:
            with pytest.raises(OutcomeTimeout):
                await his.settle(claim, timeout=3)
        finally:
            system["wallet"].start()
        retried = await his.settle(claim, timeout=60)  # the same claim again, as the clerk retries
        assert retried.event_type == "ClaimSettled", retried.payload
        await asyncio.sleep(1.0)  # anything paid twice would show now
    paid = [e for e in payments.by_correlation[claim.claim_id] if e.event_type == "PersonalPartPaid"]
    assert len({str(e.event_id) for e in paid}) == 1


async def test_a_restarted_his_finds_the_reply_it_missed(system, own_namespace, population) -> None:
    hospital, visit, lines = outpatient_visit(population, "390")
    claim = build_claim(f"HL-{time.time_ns()}", visit, lines)
    prefix, bootstrap = own_namespace.topic_prefix, own_namespace.stack.kafka_bootstrap
    first_sent = datetime.now(UTC)
    async with HospitalClient(bootstrap, hospital, prefix) as his:
        first = await his.settle(claim, timeout=30)
    async with HospitalClient(bootstrap, hospital, prefix) as restarted:  # reads only replies from now on
        found = await restarted.find_outcome(hospital, claim.claim_id, "settle", since=first_sent)
    assert found is not None and found.event_type == first.event_type == "ClaimSettled"
    assert found.payload.setl_id == first.payload.setl_id


async def test_simulated_hospitals_get_every_kind_of_reply(system, own_namespace, population) -> None:
    prefix, bootstrap = own_namespace.topic_prefix, own_namespace.stack.kafka_bootstrap
    stream = TrafficStream(population, 9, run_tag=f"SIM{time.time_ns() % 10**6}-", clock=his_now(),
                           rates=Rates(cancel=0.15, unknown_person=0.05, malformed=0.03, presettle_inpatient=1.0))
    codes = [i.fixmedins_code for i in population.all_institutions]
    async with HospitalClient(bootstrap, codes, prefix) as client, RawSender(bootstrap, prefix) as raw, \
            TopicReader(bootstrap, prefix, CLAIMS_OUTCOMES, decode_envelopes=False) as outcomes:
        driver = Driver(client, raw, timeout=30)
        await driver.run(stream.take(150), rate=40)
        await driver.drain(timeout=30, quiet=10)
    stats = driver.stats
    assert {"ClaimSettled", "ClaimPreSettled", "ClaimRejected", "ClaimCancelled"} <= set(stats.by_type())
    assert "NOT_INSURED" in stats.reasons
    assert sum(stats.no_reply.values()) == 0
    assert stats.sent["malformed"] > 0
    assert all(decode(r.value).event_type.startswith("Claim") for r in outcomes.raw)
