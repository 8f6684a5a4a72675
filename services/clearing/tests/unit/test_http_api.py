"""The HTTP API over the service layer and fakes: what each route answers, and how it refuses."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from libs.messaging.fakes import FakeDatabase
from services.clearing.entrypoints.http import create_app
from services.clearing.service_layer.service import ClearingService
from services.clearing.tests.unit.builders import CHANGSHA, GUIYANG, TAIYUAN, TAIYUAN_HOSPITAL, at, cancelled, settled
from services.clearing.tests.unit.fakes import Clock, FakeSettlementRecords
from tests.support.auth import bearer

JANUARY = "/v1/cycles/national/2025-01-01"
S1 = settled("S1", funds={"hifp": 600, "hifmi": 50})
S2 = settled("S2", insured=TAIYUAN, treatment=GUIYANG, funds={"hifp": 250})
S3 = settled("S3", funds={"hifp": 90})


@pytest.fixture
async def api(service: ClearingService, database: FakeDatabase) -> AsyncIterator[httpx.AsyncClient]:
    for fact in (S1, S2, S3, cancelled(S3)):
        async with database.transaction() as tx:
            await service.receive(tx, fact)
    transport = httpx.ASGITransport(app=create_app(service))
    async with httpx.AsyncClient(transport=transport, base_url="http://clearing", headers=bearer("clearing_desk")) as client:
        yield client


async def test_the_cycles_and_an_open_cycles_running_totals_are_listed(api: httpx.AsyncClient) -> None:
    [cycle] = (await api.get("/v1/cycles")).json()["cycles"]
    assert (cycle["cycle_id"], cycle["status"], cycle["period_end"]) == ("national/2025-01-01", "open", "2025-02-01")
    status = (await api.get(JANUARY)).json()
    assert status["bilateral"] == [
        {"insuplc_admdvs": TAIYUAN, "mdtrtarea_admvs": GUIYANG, "amount": 250},
        {"insuplc_admdvs": CHANGSHA, "mdtrtarea_admvs": TAIYUAN, "amount": 650},
    ]
    assert status["fund_pay_sumamt"] == 900


async def test_closing_answers_with_the_net_positions_that_sum_to_zero(api: httpx.AsyncClient) -> None:
    closed = (await api.post(JANUARY + "/close")).json()
    assert (closed["close_reason"], closed["next_cycle_id"]) == ("command", "national/2025-02-01")
    positions = (await api.get(JANUARY + "/net-positions")).json()
    assert {p["admdvs"]: p["net"] for p in positions["positions"]} == {CHANGSHA: -650, TAIYUAN: 400, GUIYANG: 250}
    assert positions["sum_of_nets"] == 0
    assert positions["cash_to_receive"] == positions["cash_to_pay"] + positions["prepayment_applied"]


async def test_statements_per_region_and_per_institution(api: httpx.AsyncClient) -> None:
    await api.post(JANUARY + "/close")
    taiyuan = (await api.get(JANUARY + f"/statements/regions/{TAIYUAN}")).json()
    assert taiyuan["position"]["net"] == 400
    assert taiyuan["counterparties"] == [
        {"admdvs": CHANGSHA, "payable": 0, "receivable": 650}, {"admdvs": GUIYANG, "payable": 250, "receivable": 0},
    ]
    statements = await api.get(JANUARY + "/statements/institutions", params={"fixmedins_code": TAIYUAN_HOSPITAL})
    [statement] = statements.json()["statements"]
    assert (statement["owed"], statement["by_insured_region"]) == (650, [{"insuplc_admdvs": CHANGSHA, "amount": 650}])


async def test_an_institution_reads_confirms_and_rolls_back_its_items(api: httpx.AsyncClient) -> None:
    await api.post(JANUARY + "/close")
    items = JANUARY + f"/institutions/{TAIYUAN_HOSPITAL}/items"
    detail = (await api.get(items)).json()
    assert [(i["setl_id"], i["amount"], i["status"]) for i in detail["items"]] == [("S1", 650, "pending")]
    assert detail["items"][0]["setldetail"] == [{"fund_pay_type": "hifmi", "fund_payamt": 50},
                                                {"fund_pay_type": "hifp", "fund_payamt": 600}]
    confirmed = (await api.post(items + "/confirm", json={"setl_ids": ["S1"]})).json()
    assert (confirmed["setl_ids"], confirmed["amount"]) == (["S1"], 650)
    rolled = (await api.post(items + "/rollback", json={})).json()
    assert (rolled["setl_ids"], rolled["returned_to_cycle_id"]) == (["S1"], "national/2025-02-01")
    assert (await api.get(items)).json()["rolled_back"] == 650


async def test_prepayments_are_advanced_refunded_and_listed(api: httpx.AsyncClient) -> None:
    body = {"entry_id": "A1", "scope_key": "national", "admdvs": CHANGSHA, "kind": "advance", "amount": 1_000}
    assert (await api.post("/v1/prepayments", json=body)).json()["balance"] == 1_000
    assert (await api.post("/v1/prepayments", json=body)).json()["recorded"] is False
    refund = {**body, "entry_id": "R1", "kind": "refund", "amount": 400}
    assert (await api.post("/v1/prepayments", json=refund)).json()["balance"] == 600
    assert (await api.get("/v1/prepayments/national")).json()["balances"] == [{"admdvs": CHANGSHA, "balance": 600}]


async def test_a_reconciliation_is_run_and_read_back(
    api: httpx.AsyncClient, settlement: FakeSettlementRecords,
) -> None:
    settlement.facts = [S1, S2, S3, cancelled(S3)]
    await api.post(JANUARY + "/close")
    report = (await api.post(JANUARY + "/reconciliation")).json()
    assert (report["balanced"], report["clearing_setl_cnt"], report["mismatches"]) == (True, 4, [])
    assert (await api.get(JANUARY + "/reconciliation")).json() == report


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "reason_code"),
    [
        ("get", "/v1/cycles/national/1999-01-01", None, 404, "CYCLE_NOT_FOUND"),
        ("get", JANUARY + "/net-positions", None, 409, "CYCLE_NOT_CLOSED"),
        ("get", JANUARY + "/reconciliation", None, 404, "RECONCILIATION_NOT_FOUND"),
        ("post", JANUARY + "/reconciliation", None, 409, "CYCLE_NOT_CLOSED"),
        ("post", "/v1/prepayments", {"entry_id": "R", "scope_key": "national", "admdvs": CHANGSHA, "kind": "refund",
                                     "amount": 5}, 409, "PREPAYMENT_INSUFFICIENT"),
        ("post", "/v1/prepayments", {"entry_id": "A", "scope_key": "provincial-43", "admdvs": TAIYUAN,
                                     "kind": "advance", "amount": 5}, 422, "REGION_NOT_IN_SCOPE"),
        ("post", "/v1/prepayments", {"entry_id": "A", "scope_key": "national"}, 422, "INVALID_REQUEST"),
        ("get", "/v1/prepayments/regional", None, 422, "INVALID_ADMDVS"),
        ("get", JANUARY + "/no-such-report", None, 404, "NOT_FOUND"),
    ],
)
async def test_a_refusal_answers_a_reason_code_and_a_sentence(
    api: httpx.AsyncClient, method: str, path: str, body: dict | None, status: int, reason_code: str,
) -> None:
    response = await api.request(method.upper(), path, json=body)
    assert (response.status_code, response.json()["reason_code"]) == (status, reason_code)
    assert response.json()["reason"]


async def test_confirming_an_item_of_another_institution_is_refused(api: httpx.AsyncClient) -> None:
    await api.post(JANUARY + "/close")
    response = await api.post(JANUARY + "/institutions/H0/items/confirm", json={"setl_ids": ["S1"]})
    assert (response.status_code, response.json()["reason_code"]) == (404, "ITEM_NOT_IN_DETAIL")


async def test_an_unavailable_settlement_engine_is_a_bad_gateway(
    api: httpx.AsyncClient, settlement: FakeSettlementRecords,
) -> None:
    await api.post(JANUARY + "/close")
    settlement.unavailable = True
    response = await api.post(JANUARY + "/reconciliation")
    assert (response.status_code, response.json()["reason_code"]) == (502, "SETTLEMENT_UNAVAILABLE")


async def test_a_command_closes_a_cycle_before_its_period_ends(api: httpx.AsyncClient, clock: Clock) -> None:
    clock.now = at(1, 15)
    closed = await api.post(JANUARY + "/close")
    assert (closed.status_code, closed.json()["closed_at"]) == (200, "2025-01-15T10:00:00+08:00")
