"""Replies on claims.outcomes reach the request waiting for them; retries after a timeout pay once."""

from __future__ import annotations

import pytest

from libs.contracts import claims as c
from libs.contracts.envelope import new_envelope
from libs.contracts.registry import encode
from libs.hospital.outcomes import OutcomeRouter, OutcomeTimeout

HOSPITAL = "H43010000001"


def reply(payload, causation_id: str | None = None) -> bytes:
    return encode(new_envelope(payload, producer="settlement", correlation_id=payload.claim_id, causation_id=causation_id))


def settled(claim_id: str) -> bytes:
    amounts = c.SettlementAmounts(medfee_sumamt=100, fulamt_ownpay_amt=0, overlmt_selfpay=0, preselfpay_amt=0,
                                  inscp_scp_amt=100, act_pay_dedc=0, hifp_pay=70, pool_prop_selfpay="0.7",
                                  fund_pay_sumamt=70, psn_part_amt=30)
    return reply(c.ClaimSettled(claim_id=claim_id, fixmedins_code=HOSPITAL, psn_no="P1", setl_id="S1", insutype="390",
                                med_type="11", insuplc_admdvs="430100", mdtrtarea_admvs="430100",
                                setl_time="2026-06-01T10:00:00Z", amounts=amounts, acct_pay=0, acct_mulaid_pay=0,
                                psn_cash_pay=30, balc=0, setldetail=[]))


def rejected(claim_id: str, causation_id: str | None, code: str = "NOT_INSURED") -> bytes:
    return reply(c.ClaimRejected(claim_id=claim_id, fixmedins_code=HOSPITAL, psn_no="P1", reason_code=code,
                                 reason="why"), causation_id)


async def test_a_reply_reaches_the_request_waiting_for_it() -> None:
    router = OutcomeRouter()
    pending = router.expect("C1", "settle", "e1")
    router.deliver(settled("C1"), received_at=5.0)
    outcome = await pending.outcome(timeout=1)
    assert outcome.settled and outcome.received_at == 5.0 and outcome.payload.setl_id == "S1"


async def test_a_refusal_goes_to_the_request_it_refuses_by_its_causation() -> None:
    router = OutcomeRouter()
    settle, cancel = router.expect("C1", "settle", "e-settle"), router.expect("C1", "cancel", "e-cancel")
    router.deliver(rejected("C1", "e-cancel", "NOT_SETTLED"), received_at=1.0)
    assert (await cancel.outcome(timeout=1)).reason_code == "NOT_SETTLED"
    assert not settle.future.done()


async def test_a_retry_joins_the_request_still_in_flight() -> None:
    router = OutcomeRouter()
    first, retry = router.expect("C1", "settle", "e1"), router.expect("C1", "settle", "e2")
    assert retry is first and router.in_flight == 1


async def test_a_settlement_arriving_after_the_timeout_answers_the_retry() -> None:
    router = OutcomeRouter()
    with pytest.raises(OutcomeTimeout, match="never pays twice|settles a claim id once"):
        await router.expect("C1", "settle", "e1").outcome(timeout=0.01)
    router.deliver(settled("C1"), received_at=2.0)  # late: the platform settled it once
    retry = router.expect("C1", "settle", "e2")
    assert (await retry.outcome(timeout=0.01)).settled


async def test_an_earlier_refusal_is_not_the_answer_to_a_corrected_claim() -> None:
    router = OutcomeRouter()
    with pytest.raises(OutcomeTimeout):
        await router.expect("C1", "settle", "e1").outcome(timeout=0.01)
    router.deliver(rejected("C1", "e1"), received_at=1.0)
    corrected = router.expect("C1", "settle", "e2")
    assert not corrected.future.done()
    router.deliver(settled("C1"), received_at=2.0)
    assert (await corrected.outcome(timeout=1)).settled


async def test_replies_to_other_hospitals_requests_are_not_kept_and_garbage_is_ignored() -> None:
    router = OutcomeRouter()
    assert router.deliver(settled("SOMEONE-ELSES"), received_at=1.0) is not None
    assert router.deliver(b"{not json", received_at=1.0) is None
    assert router.deliver(b'{"event_type": "ClaimSettled"}', received_at=1.0) is None
    retry = router.expect("SOMEONE-ELSES", "settle", "e1")
    assert not retry.future.done()


async def test_what_is_remembered_is_bounded() -> None:
    router = OutcomeRouter(remember=10)
    for n in range(100):
        router.expect(f"C{n}", "settle", f"e{n}").abandon()
        router.deliver(settled(f"C{n}"), received_at=1.0)
    assert len(router._late) <= 10 and len(router._by_event) <= 10 and len(router._sent) <= 10


@pytest.mark.parametrize("hostile", [
    b"[]", b"null", b"\x00\xff", b'{"payload": []}', b"[" * 5000,
    b'{"event_type": {"a": 1}, "payload": {"claim_id": "C1", "fixmedins_code": "H"}}',
    b'{"event_type": "ClaimSettled", "payload": {"claim_id": ["C1"], "fixmedins_code": "H"}}',
    b'{"event_type": "ClaimRejected", "causation_id": {"x": 1}, "payload": {"claim_id": "C1", "fixmedins_code": "H"}}',
    b'{"event_type": "ClaimRejected", "payload": {"claim_id": "C1", "fixmedins_code": "H", "reason_code": 7}}',
])
async def test_a_hostile_record_on_the_outcomes_topic_is_passed_over_and_the_reader_goes_on(hostile) -> None:
    router = OutcomeRouter()
    pending = router.expect("C1", "settle", "e1")
    assert router.deliver(hostile, received_at=1.0) is None
    router.deliver(settled("C1"), received_at=2.0)
    assert (await pending.outcome(timeout=1)).settled
