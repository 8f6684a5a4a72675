"""Business metrics counted from committed outbox rows; HTTP requests by route template; targets files."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from fastapi import FastAPI
from prometheus_client import REGISTRY

from libs.contracts.claims import ClaimRejected
from libs.contracts.envelope import new_envelope
from libs.contracts.topics import CLAIMS_OUTCOMES
from libs.messaging.emit import outgoing
from libs.messaging.records import OutgoingMessage
from libs.observability import business, endpoints, hooks, targets


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def settled_row(fund_payamt: int, mulaid: int) -> OutgoingMessage:
    payload = {"claim_id": "C1", "fixmedins_code": "H9", "psn_no": "P1", "insuplc_admdvs": "430100",
               "setldetail": [{"fund_pay_type": "390100", "fund_payamt": fund_payamt},
                              {"fund_pay_type": "610100", "fund_payamt": 0}],
               "acct_pay": 0, "acct_mulaid_pay": mulaid, "psn_cash_pay": 1_00}
    import orjson

    return OutgoingMessage("claims.outcomes", "H9", "e1", orjson.dumps({"event_type": "ClaimSettled", "payload": payload}),
                           {"event_type": "ClaimSettled", "baggage": "medins.origin=1.0"})


def test_a_settled_claim_counts_its_outcome_its_funds_in_fen_and_the_relatives_aid() -> None:
    before = (value("medins_claims_total", outcome="settled", reason_code="", fixmedins_code="H9"),
              value("medins_fund_paid_fen_total", fund="390100", insuplc_admdvs="430100"),
              value("medins_mutual_aid_payments_total"), value("medins_claim_reply_seconds_count", outcome="settled"))
    business.observe_committed([(1, settled_row(123_45, 5_00)), (2, settled_row(1_00, 0))])
    assert value("medins_claims_total", outcome="settled", reason_code="", fixmedins_code="H9") == before[0] + 2
    assert value("medins_fund_paid_fen_total", fund="390100", insuplc_admdvs="430100") == before[1] + 124_45
    assert value("medins_fund_paid_fen_total", fund="610100", insuplc_admdvs="430100") == 0  # nothing paid: no series
    assert value("medins_mutual_aid_payments_total") == before[2] + 1
    assert value("medins_claim_reply_seconds_count", outcome="settled") == before[3] + 2


def test_a_rejection_is_counted_with_its_reason_and_a_row_of_another_type_is_not_read() -> None:
    envelope = new_envelope(ClaimRejected(claim_id="C2", fixmedins_code="H9", psn_no="P1", reason_code="NOT_INSURED",
                                          reason="..."), producer="settlement", correlation_id="C2")
    before = value("medins_claims_total", outcome="rejected", reason_code="NOT_INSURED", fixmedins_code="H9")
    other = OutgoingMessage("wallet.events", "P1", "e3", b"not json", {"event_type": "AccountCredited"})
    business.observe_committed([(1, outgoing(CLAIMS_OUTCOMES, "H9", envelope)), (2, other)])
    assert value("medins_claims_total", outcome="rejected", reason_code="NOT_INSURED", fixmedins_code="H9") == before + 1


def test_a_row_that_cannot_be_read_is_passed_over() -> None:
    business.observe_committed([(1, OutgoingMessage("claims.outcomes", "H9", "e4", b"{}", {"event_type": "ClaimSettled"}))])


async def test_http_requests_are_counted_by_route_template_and_status() -> None:
    app = FastAPI()

    @app.get("/v1/accounts/{psn_no}")
    async def account(psn_no: str) -> dict[str, str]:
        return {"psn_no": psn_no}

    async def ready() -> dict[str, bool]:
        return {"database": True}

    endpoints.install(app, lambda: {"service": "test"}, ready)
    before = value("medins_http_requests_total", method="GET", route="/v1/accounts/{psn_no}", status="200")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        assert (await client.get("/v1/accounts/P1")).status_code == 200
        assert (await client.get("/v1/accounts/P2")).status_code == 200
        assert (await client.get("/nowhere")).status_code == 404
        assert (await client.get("/ready")).json()["ready"] is True
        assert "medins_http_requests_total" in (await client.get("/metrics")).text
    assert value("medins_http_requests_total", method="GET", route="/v1/accounts/{psn_no}", status="200") == before + 2
    assert value("medins_http_requests_total", method="GET", route="<unmatched>", status="404") >= 1


def test_a_process_announces_its_address_for_prometheus_and_withdraws_it(tmp_path: Path) -> None:
    path = targets.announce(tmp_path, "settlement", "settlement-payments", "0.0.0.0", 41234)
    assert json.loads(path.read_text()) == [{"targets": ["127.0.0.1:41234"],
                                             "labels": {"service": "settlement", "process": "settlement-payments"}}]
    targets.withdraw(path)
    assert not path.exists()


def test_a_settled_manual_reimbursement_counts_its_outcome_and_its_fund_payment() -> None:
    import orjson

    payload = {"office_ref": "R1", "insuplc_admdvs": "371300", "psn_no": "P1",
               "setldetail": [{"fund_pay_type": "310100", "fund_payamt": 80_00}]}
    row = OutgoingMessage("reimbursements.outcomes", "371300", "e5",
                          orjson.dumps({"event_type": "ReimbursementSettled", "payload": payload}),
                          {"event_type": "ReimbursementSettled"})
    before = (value("medins_reimbursements_total", outcome="settled", reason_code=""),
              value("medins_fund_paid_fen_total", fund="310100", insuplc_admdvs="371300"))
    business.observe_committed([(1, row)])
    assert value("medins_reimbursements_total", outcome="settled", reason_code="") == before[0] + 1
    assert value("medins_fund_paid_fen_total", fund="310100", insuplc_admdvs="371300") == before[1] + 80_00


def test_a_gateway_call_is_counted_by_transaction_and_infcode_and_a_timeout_also_as_such() -> None:
    from libs.observability.metrics import observe_his_call
    from services.gateway.entrypoints.http import infno_label

    before = {"ok": value("medins_gateway_requests_total", infno="2207", infcode="0"),
              "late": value("medins_gateway_reply_timeouts_total", infno="2207"),
              "other": value("medins_gateway_requests_total", infno="other", infcode="-1")}
    observe_his_call(infno_label("2207A"), 0)
    observe_his_call(infno_label("2207"), -1, "TIMEOUT", timed_out=True)
    observe_his_call(infno_label("'; DROP TABLE"), -1, "UNKNOWN_CODE")  # a hospital's bytes make no new series
    assert value("medins_gateway_requests_total", infno="2207", infcode="0") == before["ok"] + 1
    assert value("medins_gateway_reply_timeouts_total", infno="2207") == before["late"] + 1
    assert value("medins_gateway_requests_total", infno="other", infcode="-1") == before["other"] + 1


def test_a_batch_given_up_counts_itself_and_each_of_its_records_as_failed_for_its_consumer() -> None:
    before = (value("medins_consumer_batches_failed_total", consumer="unit-failing"),
              value("medins_consumer_messages_total", consumer="unit-failing", result="failed"))
    hooks.batch_failed("unit-failing", 7)
    assert value("medins_consumer_batches_failed_total", consumer="unit-failing") == before[0] + 1
    assert value("medins_consumer_messages_total", consumer="unit-failing", result="failed") == before[1] + 7
