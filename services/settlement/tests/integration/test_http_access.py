"""Who may read what of settlement over HTTP, on the running service: a hospital only its own claims
(and it pre-settles only as itself), a holder only their own claims and accumulators."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest

from services.settlement.tests.integration.test_settlement_flows import admission
from tests.support.auth import bearer
from tests.support.clients import new_id

pytestmark = pytest.mark.integration


async def test_a_hospital_reads_its_own_claims_and_not_another_hospitals(settlement) -> None:
    psn = new_id("R")
    await settlement.enroll(psn)
    settled = await settlement.submit(admission(psn, datetime(2026, 8, 3, 9)))
    own = bearer("hospital", institution=settled.fixmedins_code)
    other = bearer("hospital", institution="H99999900001")
    async with httpx.AsyncClient(base_url=settlement.url) as http:
        path = f"/v1/claims/{settled.claim_id}"
        assert (await http.get(path, headers=own)).json()["setl_id"] == settled.setl_id
        refused = await http.get(path, headers=other)
        assert (refused.status_code, refused.json()["code"]) == (403, "OTHER_INSTITUTION")
        assert psn not in refused.text and settled.setl_id not in refused.text
        assert (await http.get(path)).status_code == 401


async def test_a_holder_reads_their_own_claims_and_accumulators_only(settlement) -> None:
    psn, stranger = new_id("R"), new_id("R")
    await settlement.enroll(psn)
    settled = await settlement.submit(admission(psn, datetime(2026, 8, 4, 9)))
    async with httpx.AsyncClient(base_url=settlement.url) as http:
        mine = bearer("holder", psn_no=psn)
        assert (await http.get(f"/v1/claims/{settled.claim_id}", headers=mine)).status_code == 200
        assert (await http.get(f"/v1/accumulators/{psn}", params={"year": 2026}, headers=mine)).json()["admissions"] == 1
        theirs = bearer("holder", psn_no=stranger)
        for path in (f"/v1/claims/{settled.claim_id}", f"/v1/accumulators/{psn}"):
            refused = await http.get(path, headers=theirs)
            assert (refused.status_code, refused.json()["code"]) == (403, "NOT_YOUR_ACCOUNT"), path


async def test_a_hospital_pre_settles_only_as_itself_whatever_the_body_says(settlement) -> None:
    psn = new_id("R")
    await settlement.enroll(psn)
    claim = admission(psn, datetime(2026, 8, 5, 9))
    async with httpx.AsyncClient(base_url=settlement.url) as http:
        posing = await http.post("/v1/presettle", content=claim.model_dump_json(), headers={
            "content-type": "application/json", **bearer("hospital", institution="H99999900001")})
        assert (posing.status_code, posing.json()["code"]) == (403, "OTHER_INSTITUTION")
        own = await http.post("/v1/presettle", content=claim.model_dump_json(), headers={
            "content-type": "application/json", **bearer("hospital", institution=claim.fixmedins_code)})
        assert own.status_code == 200 and own.json()["claim_id"] == claim.claim_id


async def test_the_settlements_list_is_read_a_page_at_a_time(settlement) -> None:
    psn = new_id("R")
    await settlement.enroll(psn)
    start = datetime.now().astimezone()
    ids = [(await settlement.submit(admission(psn, datetime(2026, 8, 6 + n, 9)))).setl_id for n in range(3)]
    window = {"from": start.isoformat(), "to": datetime.now().astimezone().isoformat()}
    seen: list[str] = []
    async with httpx.AsyncClient(base_url=settlement.url, headers=bearer("service", "clearing")) as http:
        after = None
        while True:
            page = (await http.get("/v1/settlements", params={**window, "limit": 1, **({"after": after} if after else {})})).json()
            seen += [i["setl_id"] for i in page["items"]]
            if not (after := page["next_after"]):
                break
    assert [s for s in seen if s in ids] == ids
