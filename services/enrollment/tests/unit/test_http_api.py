"""The HTTP API on the fake database: the same commands and answers as over Kafka, and the person query."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from services.enrollment.entrypoints.http import create_app
from services.enrollment.tests.unit.service_kit import JUNE_2026, Office, resident
from tests.support.auth import bearer


@pytest.fixture
async def api() -> AsyncIterator[tuple[httpx.AsyncClient, Office]]:
    office = Office()
    app = create_app(office.service, office.db, clock=lambda: JUNE_2026)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://enrollment",
                                 headers=bearer("office", region="430100")) as client:
        yield client, office


async def test_a_person_registered_over_http_can_be_queried_with_id_number_and_name_masked(api) -> None:
    client, _office = api
    registration = resident("P1", 1)
    answer = await client.post("/v1/persons", json=registration.model_dump(mode="json"))
    assert answer.status_code == 200 and answer.json()["outcome"] == "done" and answer.json()["version"] == 1
    person = (await client.get("/v1/persons/P1")).json()
    assert person["certno"] == registration.certno[:3] + "*" * 11 + registration.certno[-4:]
    assert person["psn_name"] == "测***"
    assert (person["coverage"]["active"], person["coverage"]["coverage_begin"]) == (True, "2020-01-01")
    earlier = (await client.get("/v1/persons/P1", params={"on": "2019-06-01"})).json()
    assert earlier["coverage"]["active"] is False


async def test_the_same_command_again_gets_the_first_answer(api) -> None:
    client, _ = api
    body = resident("P1", 1).model_dump(mode="json")
    first, again = (await client.post("/v1/persons", json=body)).json(), (await client.post("/v1/persons", json=body)).json()
    assert again == {**first, "repeated": True}


async def test_refusals_answer_with_a_reason_code_and_a_sentence(api) -> None:
    client, _ = api
    await client.post("/v1/persons", json=resident("P1", 1).model_dump(mode="json"))
    duplicate = await client.post("/v1/persons", json=resident("P2", 1).model_copy(update={"command_id": "x"}).model_dump(mode="json"))
    assert duplicate.status_code == 409 and duplicate.json()["reason_code"] == "DUPLICATE_ID_NUMBER"
    to_self = await client.post("/v1/relatives", json={"command_id": "l1", "psn_no": "P1", "relative_psn_no": "P1", "relation": "child"})
    assert to_self.status_code == 422 and to_self.json()["reason_code"] == "RELATION_TO_SELF" and to_self.json()["reason"]
    unknown = await client.post("/v1/filings", json={"command_id": "f1", "psn_no": "NOBODY", "filing_id": "B1",
                                                     "kind": "temporary", "mdtrtarea_admvs": "371300"})
    assert unknown.status_code == 404 and unknown.json()["reason_code"] == "FILING_UNKNOWN_PERSON"
    assert (await client.get("/v1/persons/NOBODY")).status_code == 404


async def test_a_body_that_does_not_fit_is_refused_without_echoing_it(api) -> None:
    client, office = api
    body = {**resident("P1", 1).model_dump(mode="json"), "gend": "9"}
    answer = await client.post("/v1/persons", json=body)
    assert answer.status_code == 422 and answer.json()["reason_code"] == "INVALID_REQUEST"
    assert "gend" in answer.json()["reason"] and body["certno"] not in answer.text
    assert office.db.outbox == []


async def test_the_premium_quote_names_the_personal_part_and_the_payment_period(api) -> None:
    client, _ = api
    taiyuan = bearer("office", region="140100")
    await client.post("/v1/persons", json=resident("P1", 1, region="140100").model_dump(mode="json"), headers=taiyuan)
    quote = (await client.get("/v1/persons/P1/resident-premium", params={"coverage_year": 2027}, headers=taiyuan)).json()
    assert (quote["personal_premium"], quote["subsidy"], quote["personal_part"]) == (40_000, 0, 40_000)
    assert (quote["payment_opens_on"], quote["payment_closes_on"]) == ("2026-09-01", "2026-12-31")
    missing = await client.get("/v1/persons/P1/resident-premium", params={"coverage_year": 2030}, headers=taiyuan)
    assert missing.status_code == 422 and missing.json()["reason_code"] == "POLICY_NOT_CONFIGURED"


def test_every_wire_command_has_an_endpoint() -> None:
    from libs.contracts.enrollment import COMMANDS
    from services.enrollment.entrypoints.http import ROUTES

    assert {model for _, model in ROUTES} == set(COMMANDS)


async def test_a_person_is_found_by_resident_id_number_for_the_1101_lookup(api) -> None:
    client, _ = api
    registration = resident("P1", 1)
    await client.post("/v1/persons", json=registration.model_dump(mode="json"))
    gateway = bearer("service", "gateway")  # the gateway answering a hospital's 1101
    found = await client.post("/v1/persons/lookup", json={"certno": registration.certno}, headers=gateway)
    assert found.status_code == 200 and found.json()["coverage"]["psn_no"] == "P1"
    assert registration.certno not in found.text  # masked in the answer
    unknown = await client.post("/v1/persons/lookup", json={"certno": "110101199001011234"}, headers=gateway)
    assert unknown.status_code == 404 and "110101199001011234" not in unknown.text


async def test_only_the_platforms_services_may_look_a_person_up_by_id_number(api) -> None:
    client, _ = api
    registration = resident("P1", 1)
    await client.post("/v1/persons", json=registration.model_dump(mode="json"))
    as_office = await client.post("/v1/persons/lookup", json={"certno": registration.certno})
    assert as_office.status_code == 403 and registration.certno not in as_office.text
