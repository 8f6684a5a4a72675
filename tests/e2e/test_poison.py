"""Poison on the real stack: records built to stall or crash a consumer are each answered or
dead-lettered, and a good claim sent after them is still settled within seconds."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from libs.contracts.enrollment import CoverageChanged
from libs.contracts.registry import encode
from libs.contracts.topics import CLAIMS_OUTCOMES, CLAIMS_SUBMITTED, ENROLLMENT_COMMANDS, WALLET_COMMANDS
from tests.support.claims import outpatient_claim
from tests.support.clients import Publisher, TopicReader, new_id
from tests.support.people import credit, register
from tests.support.processes import Services

pytestmark = pytest.mark.e2e

PATIENT = "PPOISON01"
HOSPITAL = "H43010001"


async def fetch(namespace, service: str, sql: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(namespace.dsn(service))
    try:
        return await conn.fetch(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="module")
async def system(own_namespace, tmp_path_factory) -> AsyncIterator[Services]:
    services = Services(own_namespace.process_env, Path(tmp_path_factory.mktemp("logs")))
    await asyncio.to_thread(services.start)
    try:
        async with Publisher(own_namespace.stack.kafka_bootstrap, own_namespace.topic_prefix) as office:
            await office.send(ENROLLMENT_COMMANDS, PATIENT, register(PATIENT, 7), f"reg-{PATIENT}")
            await office.send(WALLET_COMMANDS, PATIENT, credit(PATIENT, 300_00), f"credit-{PATIENT}")
        for _ in range(600):
            if await fetch(own_namespace, "settlement", f"SELECT 1 FROM coverage WHERE psn_no = '{PATIENT}'"):
                break
            await asyncio.sleep(0.1)
        else:
            pytest.fail("the patient's coverage did not reach settlement")
        yield services
    finally:
        await asyncio.to_thread(services.stop)


def claim_bytes(pub: Publisher, claim_id: str, **replace: bytes) -> bytes:
    value = encode(pub.envelope(outpatient_claim(claim_id, PATIENT), claim_id, producer=HOSPITAL))
    for old, new in replace.items():
        assert old.encode() in value, old
        value = value.replace(old.encode(), new)
    return value


async def test_poison_records_are_answered_or_dead_lettered_and_a_good_claim_behind_them_settles(system, own_namespace) -> None:
    namespace = own_namespace
    async with Publisher(namespace.stack.kafka_bootstrap, namespace.topic_prefix) as pub, \
            TopicReader(namespace.stack.kafka_bootstrap, namespace.topic_prefix, CLAIMS_OUTCOMES) as outcomes:
        known = outpatient_claim(new_id("K"), PATIENT)
        known_env = await pub.send(CLAIMS_SUBMITTED, PATIENT, known, known.claim_id)
        await outcomes.wait_for(lambda: outcomes.by_correlation.get(known.claim_id), timeout=60)

        answered = {  # claim id -> what makes it poison; each must come back as INVALID_CLAIM
            new_id("BOMBS"): {'"pric":"10.00"': b'"pric":"1E+999997"'},
            new_id("BOMBN"): {'"pric":"10.00"': b'"pric":1E+999997'},
            new_id("NULID"): {'"event_id":"': b'"event_id":"\\u0000'},
            new_id("HUGE"): {'"dise_codg":null': b'"dise_codg":"' + b"x" * 1_000_000 + b'"'},
            new_id("FULLW"): {'"insuplc_admdvs":"371300"': '"insuplc_admdvs":"３７１３００"'.encode()},
        }
        raw_poison = {
            "nul key and bytes": (b"P\x00\xff", b'\x00{"event_id": "\x00\xff"}\xc3\x28'),
            "unroutable NUL hospital": (PATIENT.encode(), claim_bytes(pub, new_id("NULH"),
                                                                      **{f'"fixmedins_code":"{HOSPITAL}"': b'"fixmedins_code":"H\\u0000"'})),
            "near 1 MiB garbage": (PATIENT.encode(), b"\xff" * 1_000_000),
            "changed body under a known id": (PATIENT.encode(), encode(known_env).replace(b'"cnt":"1"', b'"cnt":"99"', 1)),
        }
        forged = CoverageChanged(psn_no=PATIENT, version=10**9, insutype="310", insuplc_admdvs="371300", gend="1", age=40,
                                 active=False)  # an enrollment fact on the claims topic, with and without its header
        sent_at = time.monotonic()
        for claim_id, replace in answered.items():
            await pub.send_raw(CLAIMS_SUBMITTED, PATIENT, claim_bytes(pub, claim_id, **replace))
        for key, value in raw_poison.values():
            await pub._producer.send(CLAIMS_SUBMITTED, namespace.topic_prefix + CLAIMS_SUBMITTED.name, value=value, key=key)
        await pub.send_raw(CLAIMS_SUBMITTED, PATIENT, encode(pub.envelope(forged, "x")), [("event_type", b"CoverageChanged")])
        await pub.send_raw(CLAIMS_SUBMITTED, PATIENT, encode(pub.envelope(forged, "y")))
        good = outpatient_claim(new_id("GOOD"), PATIENT)
        await pub.send(CLAIMS_SUBMITTED, PATIENT, good, good.claim_id)
        await pub.flush()

        await outcomes.wait_for(lambda: outcomes.by_correlation.get(good.claim_id), timeout=30)
        settled_in = time.monotonic() - sent_at
        [settled] = outcomes.by_correlation[good.claim_id]
        assert settled.event_type == "ClaimSettled", settled.payload
        assert settled_in < 10, f"the good claim took {settled_in:.1f} s behind the poison"
        print(f"the good claim was settled {settled_in:.2f} s after the first poison was sent")

        await outcomes.wait_for(lambda: all(outcomes.by_correlation.get(c) for c in answered), timeout=30)
    for claim_id in answered:
        [answer] = outcomes.by_correlation[claim_id]
        assert (answer.event_type, answer.payload.reason_code) == ("ClaimRejected", "INVALID_CLAIM"), answer.payload
        assert answer.payload.fixmedins_code == HOSPITAL and "could not be read" in answer.payload.reason

    dead = await fetch(namespace, "settlement", "SELECT reason, key, value, value_size, quarantined FROM dead_letters")
    reasons = [r["reason"] for r in dead]
    assert len(dead) == len(raw_poison) + 2, reasons
    assert not any(r["quarantined"] for r in dead)
    assert any(r["key"] == b"P\x00\xff" and r["value"] == raw_poison["nul key and bytes"][1] for r in dead)
    assert any(r["value_size"] == 1_000_000 for r in dead)
    assert any("conflict" in r for r in reasons)
    assert sum("does not travel on" in r for r in reasons) == 2
    coverage = await fetch(namespace, "settlement", f"SELECT version FROM coverage WHERE psn_no = '{PATIENT}'")
    assert coverage[0]["version"] < 10**6  # the forged snapshot on the wrong topic changed nothing
