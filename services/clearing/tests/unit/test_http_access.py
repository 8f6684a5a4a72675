"""Who may do what over clearing's HTTP API: the abuses of issue 14 refused, each institution and
office held to its own, every command in the audit log without personal data."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from libs.messaging.fakes import FakeDatabase
from services.clearing.entrypoints.http import create_app
from services.clearing.service_layer.service import ClearingService
from services.clearing.tests.unit.builders import (
    CHANGSHA,
    GUIYANG,
    GUIYANG_HOSPITAL,
    TAIYUAN,
    TAIYUAN_HOSPITAL,
    settled,
)
from tests.support.auth import bearer

JANUARY = "/v1/cycles/national/2025-01-01"
ITEMS = JANUARY + f"/institutions/{TAIYUAN_HOSPITAL}/items"
DESK = bearer("clearing_desk", "desk-1")
TAIYUAN_HIS = bearer("hospital", institution=TAIYUAN_HOSPITAL)
GUIYANG_HIS = bearer("hospital", institution=GUIYANG_HOSPITAL)
PREPAYMENT = {"entry_id": "A1", "scope_key": "national", "admdvs": CHANGSHA, "kind": "advance", "amount": 1_000}


@pytest.fixture
async def app(service: ClearingService, database: FakeDatabase) -> FastAPI:
    for fact in (settled("S1"), settled("S2", insured=TAIYUAN, treatment=GUIYANG)):
        async with database.transaction() as tx:
            await service.receive(tx, fact)
    return create_app(service)


@pytest.fixture
async def api(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://clearing") as client:
        yield client


async def test_without_a_token_nothing_is_read_or_done(api: httpx.AsyncClient) -> None:
    for method, path in (("GET", "/v1/cycles"), ("POST", JANUARY + "/close"), ("GET", ITEMS)):
        answer = await api.request(method, path)
        assert (answer.status_code, answer.json()["code"]) == (401, "NOT_AUTHENTICATED")
    assert (await api.get(JANUARY, headers=DESK)).json()["cycle"]["status"] == "open"


async def test_a_hospital_cannot_close_a_cycle(api: httpx.AsyncClient) -> None:
    answer = await api.post(JANUARY + "/close", headers=TAIYUAN_HIS)
    assert (answer.status_code, answer.json()["code"]) == (403, "ROLE_NOT_ALLOWED")
    assert (await api.get(JANUARY, headers=DESK)).json()["cycle"]["status"] == "open"


async def test_a_hospital_reads_confirms_and_rolls_back_only_its_own_items(api: httpx.AsyncClient) -> None:
    await api.post(JANUARY + "/close", headers=DESK)
    for method, path in (("GET", ITEMS), ("POST", ITEMS + "/confirm"), ("POST", ITEMS + "/rollback")):
        answer = await api.request(method, path, headers=GUIYANG_HIS, json={} if method == "POST" else None)
        assert (answer.status_code, answer.json()["code"]) == (403, "OTHER_INSTITUTION"), path
    assert [i["status"] for i in (await api.get(ITEMS, headers=DESK)).json()["items"]] == ["pending"]
    confirmed = await api.post(ITEMS + "/confirm", json={"setl_ids": ["S1"]}, headers=TAIYUAN_HIS)
    assert confirmed.status_code == 200 and confirmed.json()["setl_ids"] == ["S1"]


async def test_a_hospital_reads_only_its_own_statement(api: httpx.AsyncClient) -> None:
    await api.post(JANUARY + "/close", headers=DESK)
    statements = JANUARY + "/statements/institutions"
    own = (await api.get(statements, headers=TAIYUAN_HIS)).json()["statements"]
    assert [s["fixmedins_code"] for s in own] == [TAIYUAN_HOSPITAL]
    other = await api.get(statements, params={"fixmedins_code": GUIYANG_HOSPITAL}, headers=TAIYUAN_HIS)
    assert (other.status_code, other.json()["code"]) == (403, "OTHER_INSTITUTION")


async def test_an_office_reads_only_its_own_regions_statement(api: httpx.AsyncClient) -> None:
    await api.post(JANUARY + "/close", headers=DESK)
    taiyuan_office = bearer("office", region=TAIYUAN)
    assert (await api.get(JANUARY + f"/statements/regions/{TAIYUAN}", headers=taiyuan_office)).status_code == 200
    other = await api.get(JANUARY + f"/statements/regions/{CHANGSHA}", headers=taiyuan_office)
    assert (other.status_code, other.json()["code"]) == (403, "OTHER_REGION")


@pytest.mark.parametrize("role", ["hospital", "office", "operator", "auditor", "holder", "service"])
async def test_only_the_clearing_desk_records_prepayments(api: httpx.AsyncClient, role: str) -> None:
    who = bearer(role, region=CHANGSHA, institution=TAIYUAN_HOSPITAL, psn_no="P1")
    answer = await api.post("/v1/prepayments", json=PREPAYMENT, headers=who)
    assert (answer.status_code, answer.json()["code"]) == (403, "ROLE_NOT_ALLOWED")
    assert (await api.get("/v1/prepayments/national", headers=DESK)).json()["balances"] == []


async def test_a_prepayment_entry_id_belongs_to_the_desk_account_that_used_it_first(api: httpx.AsyncClient) -> None:
    assert (await api.post("/v1/prepayments", json=PREPAYMENT, headers=DESK)).json()["recorded"] is True
    assert (await api.post("/v1/prepayments", json=PREPAYMENT, headers=DESK)).json()["recorded"] is False
    taken = await api.post("/v1/prepayments", json=PREPAYMENT, headers=bearer("clearing_desk", "desk-2"))
    assert (taken.status_code, taken.json()["code"]) == (409, "IDEMPOTENCY_KEY_TAKEN")


async def test_every_command_is_in_the_audit_log_with_who_what_and_the_result(api: httpx.AsyncClient) -> None:
    await api.post(JANUARY + "/close", headers=TAIYUAN_HIS)
    await api.post(JANUARY + "/close", headers=DESK)
    await api.post(JANUARY + "/close")
    log = (await api.get("/v1/audit", headers=bearer("auditor"))).json()["entries"]
    assert [(e["subject"], e["role"], e["route"], e["status"], e["code"]) for e in log] == [
        ("anonymous", None, "/v1/cycles/{scope_key}/{period_start}/close", 401, "NOT_AUTHENTICATED"),
        ("desk-1", "clearing_desk", "/v1/cycles/{scope_key}/{period_start}/close", 200, None),
        ("test-hospital", "hospital", "/v1/cycles/{scope_key}/{period_start}/close", 403, "ROLE_NOT_ALLOWED"),
    ]
    assert log[1]["target"] == {"scope_key": "national", "period_start": "2025-01-01"}
    assert log[1]["tenant"] == "clearing_desk:desk-1" and log[1]["at"] and log[1]["finished_at"]


async def test_nothing_is_done_when_the_audit_log_cannot_be_written(app: FastAPI, api: httpx.AsyncClient) -> None:
    async def unavailable(*_: object) -> int:
        raise ConnectionError("the database is away")

    app.state.access_store.begin = unavailable
    answer = await api.post(JANUARY + "/close", headers=DESK)
    assert (answer.status_code, answer.json()["code"]) == (503, "TRY_AGAIN") and answer.json()["message"]
    assert (await api.get(JANUARY, headers=DESK)).json()["cycle"]["status"] == "open"


async def test_the_audit_log_is_read_a_page_at_a_time_by_operators_and_auditors_only(api: httpx.AsyncClient) -> None:
    for n in range(5):
        await api.post("/v1/prepayments", json={**PREPAYMENT, "entry_id": f"A{n}"}, headers=DESK)
    first = (await api.get("/v1/audit", params={"limit": 3}, headers=bearer("operator"))).json()
    rest = (await api.get("/v1/audit", params={"limit": 3, "before": first["next_before"]},
                          headers=bearer("operator"))).json()
    assert [e["target"]["entry_id"] for e in first["entries"] + rest["entries"]] == ["A4", "A3", "A2", "A1", "A0"]
    assert rest["next_before"] is None
    refused = await api.get("/v1/audit", headers=DESK)
    assert (refused.status_code, refused.json()["code"]) == (403, "ROLE_NOT_ALLOWED")


async def test_a_body_above_the_limit_is_refused_before_it_is_read(api: httpx.AsyncClient) -> None:
    answer = await api.post(ITEMS + "/confirm", content=b"[" + b"0," * 2_200_000 + b"0]", headers=DESK)
    assert (answer.status_code, answer.json()["code"]) == (413, "BODY_TOO_LARGE") and answer.json()["message"]

    async def streamed() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(5):
            yield b" " * (1 << 20)

    answer = await api.post(ITEMS + "/confirm", content=streamed(), headers=DESK)
    assert (answer.status_code, answer.json()["code"]) == (413, "BODY_TOO_LARGE")


async def test_a_list_is_read_a_page_at_a_time(api: httpx.AsyncClient) -> None:
    await api.post(JANUARY + "/close", headers=DESK)
    cycles = (await api.get("/v1/cycles", params={"limit": 1}, headers=DESK)).json()
    assert [c["cycle_id"] for c in cycles["cycles"]] == ["national/2025-01-01"]
    more = (await api.get("/v1/cycles", params={"limit": 1, "after": cycles["next_after"]}, headers=DESK)).json()
    assert [c["cycle_id"] for c in more["cycles"]] == ["national/2025-02-01"] and more["next_after"] is None


async def test_a_server_refuses_to_start_with_a_route_no_role_guards() -> None:
    from libs.audit.store import MemoryAccessStore
    from libs.auth import RouteTable
    from libs.http import HttpServer, harden

    app = harden(FastAPI(), RouteTable.of("nothing", {}), MemoryAccessStore())

    @app.get("/v1/open")
    async def open_route() -> dict:
        return {}

    with pytest.raises(RuntimeError, match="GET /v1/open"):
        await HttpServer(app, "127.0.0.1", 0).start()
