"""Settlement's HTTP API against the running service on the real Postgres."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from services.settlement.tests.integration.test_settlement_flows import admission
from tests.support.auth import bearer
from tests.support.clients import new_id

pytestmark = pytest.mark.integration


async def test_the_counter_can_pre_settle_over_http_without_side_effects(settlement) -> None:
    psn = new_id("R")
    await settlement.enroll(psn)
    claim = admission(psn, datetime(2026, 7, 1, 9))
    async with httpx.AsyncClient(base_url=settlement.url, headers=bearer("operator")) as http:
        response = await http.post("/v1/presettle", content=claim.model_dump_json(),
                                   headers={"content-type": "application/json",
                                            **bearer("hospital", institution=claim.fixmedins_code)})
        answer = response.json()
        assert response.status_code == 200, answer
        assert answer["amounts"]["act_pay_dedc"] == 1200_00
        assert (await http.get(f"/v1/accumulators/{psn}", params={"year": 2026})).json()["admissions"] == 0
        assert (await http.get(f"/v1/claims/{claim.claim_id}")).status_code == 404


async def test_settlements_in_a_window_list_each_fund_for_reconciliation(settlement) -> None:
    psn = new_id("R")
    await settlement.enroll(psn)
    start = datetime.now(UTC) - timedelta(seconds=1)
    settled = await settlement.submit(admission(psn, datetime(2026, 7, 2, 9)))
    async with httpx.AsyncClient(base_url=settlement.url, headers=bearer("operator")) as http:
        items = (await http.get("/v1/settlements", params={
            "from": start.isoformat(), "to": (datetime.now(UTC) + timedelta(seconds=1)).isoformat()})).json()["items"]
        mine = [i for i in items if i["setl_id"] == settled.setl_id]
        assert len(mine) == 1 and mine[0]["kind"] == "settled"
        assert sum(mine[0]["funds"].values()) == mine[0]["fund_pay_sumamt"] == settled.amounts.fund_pay_sumamt
        ledger = (await http.get("/v1/ledger/balances", params={"prefix": "fund:430100:"})).json()
        assert ledger["ledger_debits"] == ledger["ledger_credits"]
        claim = (await http.get(f"/v1/claims/{settled.claim_id}")).json()
        assert claim["status"] == "settled" and claim["explanation"]
