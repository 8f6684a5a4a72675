"""The office's HTTP API on the real Postgres and Kafka: register, query, and settlement sees the person."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from services.enrollment.tests.integration.conftest import Office
from tests.support.auth import bearer
from tests.support.clients import new_id
from tests.support.people import register

pytestmark = pytest.mark.integration


async def test_a_person_registered_over_http_is_queried_masked_and_reaches_settlement(office: Office) -> None:
    command = register(new_id("H"), 40, insutype="390")
    body = command.model_dump(mode="json")
    as_office = bearer("office", region=command.insuplc_admdvs)
    async with httpx.AsyncClient(base_url=office.url, timeout=10, headers=as_office) as client:
        since = time.monotonic()
        answer = await client.post("/v1/persons", json=body)
        assert answer.status_code == 200, answer.text
        assert answer.json() | {"repeated": None} == {
            "command_id": command.command_id, "command_type": "RegisterPerson", "psn_no": command.psn_no,
            "outcome": "done", "version": 1, "reason_code": None, "reason": None, "repeated": None}
        await office.projected(command.psn_no, lambda s: s["active"], since=since)
        person = (await client.get(f"/v1/persons/{command.psn_no}")).json()
        assert person["certno"] == command.certno[:3] + "*" * 11 + command.certno[-4:] and person["psn_name"] == "测***"
        assert (person["coverage"]["insutype"], person["coverage"]["active"]) == ("390", True)
        again = await client.post("/v1/persons", json=body)
        assert again.status_code == 200 and again.json()["repeated"] is True
        wrong = command.certno[:17] + ("0" if command.certno[17] != "0" else "1")
        bad = await client.post("/v1/persons", json={**body, "command_id": new_id("H"), "psn_no": new_id("H"), "certno": wrong})
        assert bad.status_code == 422 and bad.json()["reason_code"] == "INVALID_ID_NUMBER"
    assert await office.enrollment_value("SELECT count(*) FROM person_events WHERE psn_no = $1", command.psn_no) == 2


async def test_concurrent_commands_for_one_person_are_handled_one_after_the_other(office: Office) -> None:
    command = register(new_id("H"), 41, insutype="390")
    as_office = bearer("office", region=command.insuplc_admdvs)
    async with httpx.AsyncClient(base_url=office.url, timeout=30, headers=as_office) as client:
        assert (await client.post("/v1/persons", json=command.model_dump(mode="json"))).status_code == 200
        approvals = [{"command_id": new_id("A"), "psn_no": command.psn_no, "opsp_dise_code": f"M{n:05d}",
                      "begndate": "2026-06-01"} for n in range(8)]
        same = {"command_id": new_id("S"), "psn_no": command.psn_no, "opsp_dise_code": "SAME", "begndate": "2026-06-01"}
        answers = await asyncio.gather(*(client.post("/v1/chronic-approvals", json=body) for body in [*approvals, *[same] * 4]))
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    first_answers = [a.json() for a in answers if not a.json()["repeated"]]
    assert sorted(a["version"] for a in first_answers) == list(range(2, 11))  # one at a time, nine changes
    assert len({a.json()["version"] for a in answers[8:]}) == 1  # the same command answered once, then repeated
    assert await office.enrollment_value("SELECT count(*) FROM person_events WHERE psn_no = $1", command.psn_no) == 2 + 9
