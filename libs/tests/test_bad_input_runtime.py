"""Bad input at the consumer runtime (in memory): every record is handled, answered, skipped as a
true duplicate, dead-lettered or quarantined, and the batch always goes on."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from libs.contracts.claims import ClaimSubmitted, FeeLine
from libs.contracts.envelope import new_envelope
from libs.contracts.registry import CARRIES, encode
from libs.contracts.topics import CLAIMS_SUBMITTED, WALLET_COMMANDS
from libs.contracts.wallet import AccountCredited, CreditPersonalAccount
from libs.messaging.answers import claim_refusal
from libs.messaging.consumer import BatchProcessor
from libs.messaging.fakes import FakeDatabase
from libs.messaging.records import DLQ_VALUE_LIMIT, Record, safe_text
from libs.retry import RetryPolicy

CARRIED = frozenset(m.event_type for m in CARRIES[WALLET_COMMANDS.name])


def credit(credit_id: str, amount: int = 100, **envelope: Any) -> bytes:
    payload = CreditPersonalAccount(credit_id=credit_id, psn_no="P1", amount=amount, kind="contribution", year=2026)
    return encode(new_envelope(payload, producer="test", correlation_id=credit_id, **envelope))


def records(*values: bytes, topic: str = "wallet.commands", first_offset: int = 0) -> list[Record]:
    return [Record(topic, 0, first_offset + n, b"P1", value) for n, value in enumerate(values)]


async def count_credits(tx, env) -> None:
    tx.conn.setdefault("credited", []).append(env.payload.credit_id)


def processor(db: FakeDatabase, handler=count_credits, **more) -> BatchProcessor:
    return BatchProcessor("wallet-test", db, handler, frozenset({"CreditPersonalAccount"}),
                          retry=RetryPolicy(attempts=3, first_delay=0.0), carried=CARRIED, **more)


async def test_a_dead_letter_replayed_after_the_fix_is_processed_not_skipped_as_a_duplicate() -> None:
    db = FakeDatabase()
    broken = True

    async def flaky(tx, env) -> None:
        if broken:
            raise RuntimeError("a bug, fixed later")
        await count_credits(tx, env)

    value = credit("c1")
    first = await processor(db, flaky).process(records(value))
    assert first.dead_lettered == 1 and "credited" not in db.state
    broken = False
    replay = await processor(db, flaky).process(records(value, first_offset=10))  # the same bytes, published again
    assert replay.handled == 1 and replay.duplicates == 0
    assert db.state["credited"] == ["c1"]


async def test_a_redelivered_id_with_other_bytes_is_dead_lettered_as_a_conflict_and_the_first_effect_stands() -> None:
    db = FakeDatabase()
    original = credit("c1", amount=100)
    event_id = orjson.loads(original)["event_id"]
    tampered = original.replace(b'"amount":100', b'"amount":999999')
    assert orjson.loads(tampered)["event_id"] == event_id
    await processor(db).process(records(original))
    stats = await processor(db).process(records(tampered, first_offset=1))
    assert stats.dead_lettered == 1 and stats.duplicates == 0
    assert db.state["credited"] == ["c1"]
    assert "conflict" in db.outbox[0].headers["dlq.reason"]
    again = await processor(db).process(records(original, first_offset=2))
    assert again.duplicates == 1  # the first message's id is still known: it is not replayed by the conflict


async def test_a_conflict_inside_one_batch_is_found_too() -> None:
    db = FakeDatabase()
    original = credit("c1", amount=100)
    stats = await processor(db).process(records(original, original.replace(b'"amount":100', b'"amount":5')))
    assert stats.handled == 1 and stats.dead_lettered == 1 and db.state["credited"] == ["c1"]


async def test_a_known_type_sent_to_a_topic_that_does_not_carry_it_is_dead_lettered_with_the_reason() -> None:
    db = FakeDatabase()
    def wrong() -> bytes:
        return encode(new_envelope(AccountCredited(credit_id="x", psn_no="P1", amount=1, balc=1), producer="x",
                                   correlation_id="x"))
    headed = Record("wallet.commands", 0, 0, b"P1", wrong(), (("event_type", b"AccountCredited"),))
    stats = await processor(db).process([headed, *records(wrong(), credit("c2"), first_offset=1)])
    assert stats.dead_lettered == 2 and db.state["credited"] == ["c2"]
    assert all("does not travel on wallet.commands" in m.headers["dlq.reason"] for m in db.outbox)


async def test_a_record_too_large_for_the_dead_letter_topic_is_published_cut_with_its_size_and_hash() -> None:
    db = FakeDatabase()
    huge = b'{"payload": "' + b"x" * 1_000_000 + b'"}'
    await processor(db).process(records(huge))
    [parked] = db.outbox
    assert len(parked.value) == DLQ_VALUE_LIMIT and parked.value == huge[:DLQ_VALUE_LIMIT]
    assert parked.headers["dlq.truncated"] == "true" and parked.headers["dlq.value.size"] == str(len(huge))
    assert len(parked.headers["dlq.value.sha256"]) == 64


async def test_nul_bytes_and_invalid_utf8_reach_the_dead_letter_as_escaped_text() -> None:
    db = FakeDatabase()
    record = Record("wallet.commands", 0, 0, b"P\x00\xff", b'{"event_id": "\x00\xfe"}', (("h\x00", b"\xff\x00"),))
    await processor(db).process([record])
    [parked] = db.outbox
    assert "\x00" not in parked.key and "\x00" not in "".join(parked.headers.values())
    assert parked.key == "P\\x00\\xff"
    assert safe_text("a\ud800\x00b") == "a\\ud800\\x00b"


async def test_when_parking_itself_fails_the_record_is_quarantined_and_the_rest_of_the_batch_goes_on() -> None:
    db = FakeDatabase()

    async def bad_then_unparkable(tx, env) -> None:
        if env.payload.credit_id == "poison":
            tx.park = None  # dead-lettering this one will raise too
            raise ValueError("cannot handle")
        await count_credits(tx, env)

    stats = await processor(db, bad_then_unparkable).process(records(credit("a"), credit("poison"), credit("b")))
    assert db.state["credited"] == ["a", "b"]
    assert stats.quarantined == 1
    [(_consumer, position, reason)] = db.state["quarantined"]
    assert position == "wallet.commands/0@1" and "quarantined" in reason


def claim(fixmedins_code: str = "H43010000001", pric: str = "35.50") -> bytes:
    payload = ClaimSubmitted(
        claim_id="C1", action="settle", fixmedins_code=fixmedins_code, hosp_lv="2", mdtrt_id="M1", psn_no="P1",
        insutype="390", med_type="11", insuplc_admdvs="430100", mdtrtarea_admvs="430100",
        begntime=datetime(2026, 3, 1, tzinfo=UTC),
        fee_details=[FeeLine(feedetl_sn="1", med_list_codg="X1", cnt="1", pric="35.50", det_item_fee_sumamt=3550)])
    return encode(new_envelope(payload, producer=fixmedins_code, correlation_id="C1")).replace(
        b'"pric":"35.50"', f'"pric":{pric}'.encode())


@pytest.mark.parametrize(("pric", "words"), [('"1E+999997"', "pric"), ("1E+999997", "far too large"),
                                             ('"Infinity"', "pric"), ("-0.5", "pric")])
async def test_a_malformed_claim_is_answered_to_its_hospital_with_a_reason_a_clerk_can_act_on(pric, words) -> None:
    db = FakeDatabase()
    bomb = claim(pric=pric)
    proc = BatchProcessor("settlement-test", db, count_credits, frozenset({"ClaimSubmitted"}),
                          carried=frozenset(m.event_type for m in CARRIES[CLAIMS_SUBMITTED.name]),
                          answer=claim_refusal("settlement"))
    stats = await proc.process(records(bomb, topic="claims.submitted"))
    assert stats.answered == 1 and stats.dead_lettered == 0
    [answer] = db.outbox
    assert answer.topic == "claims.outcomes" and answer.key == "H43010000001"
    payload = orjson.loads(answer.value)["payload"]
    assert payload["reason_code"] == "INVALID_CLAIM" and words in payload["reason"]
    assert orjson.loads(answer.value)["causation_id"] == json.loads(bomb, parse_float=str)["event_id"]


async def test_a_malformed_claim_whose_hospital_cannot_be_read_is_dead_lettered() -> None:
    db = FakeDatabase()
    unroutable = claim().replace(b'"fixmedins_code":"H43010000001"', b'"fixmedins_code":"H4\\u0000"')
    proc = BatchProcessor("settlement-test", db, count_credits, frozenset({"ClaimSubmitted"}),
                          answer=claim_refusal("settlement"))
    stats = await proc.process(records(unroutable, topic="claims.submitted"))
    assert stats.answered == 0 and stats.dead_lettered == 1 and db.outbox[0].topic == "dead-letter"


def command_record(topic: str, payload: dict) -> Record:
    envelope = {"event_id": "6f0b3c1e-4a2b-4c3d-9e8f-0a1b2c3d4e5f", "event_type": "EnrollResident", "schema_version": 1,
                "occurred_at": "2026-06-01T10:00:00Z", "producer": "office", "correlation_id": "c", "payload": payload}
    return Record(topic, 0, 0, b"P1", orjson.dumps(envelope))


def test_a_malformed_enrollment_command_is_refused_to_the_office_with_invalid_command() -> None:
    from libs.messaging.answers import command_refusal

    record = command_record("enrollment.commands", {"command_id": "K1", "psn_no": "P1", "coverage_year": 1900})
    answer = command_refusal("enrollment")(record, "invalid EnrollResident: coverage_year: too large")
    assert answer is not None and answer.topic == "enrollment.events" and answer.key == "P1"
    payload = orjson.loads(answer.value)["payload"]
    assert (payload["command_id"], payload["reason_code"], payload["command_type"]) == ("K1", "INVALID_COMMAND", "EnrollResident")
    assert command_refusal("enrollment")(command_record("enrollment.commands", {"command_id": "K\x00"}), "x") is None


def test_a_malformed_wallet_command_is_refused_to_the_holder_and_an_unroutable_one_is_not() -> None:
    from libs.messaging.answers import wallet_refusal

    record = command_record("wallet.commands", {"transfer_id": "T1", "psn_no": "P1", "amount": "lots"})
    answer = wallet_refusal("wallet")(record, "invalid TransferToRelative: amount: not an integer")
    assert answer is not None and answer.topic == "wallet.events"
    assert orjson.loads(answer.value)["payload"]["reason_code"] == "INVALID_COMMAND"
    assert wallet_refusal("wallet")(command_record("wallet.commands", {"transfer_id": "T1"}), "x") is None


def test_a_malformed_reimbursement_is_refused_to_its_office_keyed_by_region() -> None:
    from libs.messaging.answers import reimbursement_refusal

    record = command_record("reimbursements.commands", {"office_ref": "MR-1", "insuplc_admdvs": "371300",
                                                        "psn_no": "P1", "fee_details": [{"pric": "1E+999997"}]})
    answer = reimbursement_refusal("settlement")(record, "invalid SubmitReimbursement: fee_details.0.pric: too large")
    assert answer is not None and answer.topic == "reimbursements.outcomes" and answer.key == "371300"
    assert orjson.loads(answer.value)["payload"]["reason_code"] == "INVALID_COMMAND"
    unroutable = command_record("reimbursements.commands", {"office_ref": "MR-1", "insuplc_admdvs": "３７１３００",
                                                            "psn_no": "P1"})
    assert reimbursement_refusal("settlement")(unroutable, "x") is None
