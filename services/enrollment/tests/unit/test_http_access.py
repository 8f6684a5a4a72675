"""Who may act for whom over enrollment's HTTP API: an office for its own region's persons (and the
region a transfer goes to), a holder reads only themself; a command_id is the office's own."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from services.enrollment.entrypoints.http import create_app
from services.enrollment.tests.unit.service_kit import JUNE_2026, Office, resident
from tests.support.auth import bearer

CHANGSHA, TAIYUAN = bearer("office", region="430100"), bearer("office", region="140100")


@pytest.fixture
async def api() -> AsyncIterator[httpx.AsyncClient]:
    office = Office()
    app = create_app(office.service, office.db, clock=lambda: JUNE_2026)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://enrollment") as client:
        assert (await client.post("/v1/persons", json=resident("P1", 1).model_dump(mode="json"),
                                  headers=CHANGSHA)).status_code == 200
        yield client


async def test_an_office_registers_only_in_its_own_region(api: httpx.AsyncClient) -> None:
    body = resident("P2", 2).model_dump(mode="json")
    refused = await api.post("/v1/persons", json=body, headers=TAIYUAN)
    assert (refused.status_code, refused.json()["code"]) == (403, "OTHER_REGION") and refused.json()["message"]
    assert (await api.post("/v1/persons", json=body, headers=CHANGSHA)).status_code == 200


async def test_an_office_acts_for_and_reads_only_its_own_regions_persons(api: httpx.AsyncClient) -> None:
    approval = {"command_id": "a1", "psn_no": "P1", "opsp_dise_code": "M00001", "begndate": "2026-06-01"}
    refused = await api.post("/v1/chronic-approvals", json=approval, headers=TAIYUAN)
    assert (refused.status_code, refused.json()["code"]) == (403, "OTHER_REGION")
    assert (await api.get("/v1/persons/P1", headers=TAIYUAN)).status_code == 403
    assert (await api.post("/v1/chronic-approvals", json=approval, headers=CHANGSHA)).json()["outcome"] == "done"


async def test_the_new_regions_office_applies_for_a_transfer_and_the_old_one_completes_it(api: httpx.AsyncClient) -> None:
    step = {"psn_no": "P1", "transfer_id": "T1"}
    applied = await api.post("/v1/transfers/apply", json={**step, "command_id": "t1", "to_admdvs": "140100"},
                             headers=TAIYUAN)
    assert applied.json()["outcome"] == "done", applied.text
    assert (await api.post("/v1/transfers/request", json={**step, "command_id": "t2"}, headers=TAIYUAN)).status_code == 200
    elsewhere = bearer("office", region="520100")
    assert (await api.post("/v1/transfers/complete", json={**step, "command_id": "t3"}, headers=elsewhere)).status_code == 403
    assert (await api.post("/v1/transfers/complete", json={**step, "command_id": "t3"}, headers=CHANGSHA)).status_code == 200


async def test_a_command_id_used_by_one_office_is_refused_to_another(api: httpx.AsyncClient) -> None:
    taiyuan_person = resident("P9", 9, region="140100").model_dump(mode="json")
    reused = {**taiyuan_person, "command_id": resident("P1", 1).command_id}
    taken = await api.post("/v1/persons", json=reused, headers=TAIYUAN)
    assert (taken.status_code, taken.json()["code"]) == (409, "IDEMPOTENCY_KEY_TAKEN")
    assert "outcome" not in taken.json() and "version" not in taken.json()  # nothing of the first command's answer


async def test_a_holder_reads_their_own_coverage_only_and_sends_no_office_command(api: httpx.AsyncClient) -> None:
    assert (await api.get("/v1/persons/P1", headers=bearer("holder", psn_no="P1"))).status_code == 200
    other = await api.get("/v1/persons/P1", headers=bearer("holder", psn_no="P2"))
    assert (other.status_code, other.json()["code"]) == (403, "NOT_YOUR_ACCOUNT")
    command = await api.post("/v1/hardship-groups", json={"command_id": "h1", "psn_no": "P1", "group": "low_income"},
                             headers=bearer("holder", psn_no="P1"))
    assert (command.status_code, command.json()["code"]) == (403, "ROLE_NOT_ALLOWED")
