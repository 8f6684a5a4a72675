"""An operator's day on the console, in a real browser, with the platform's services running.

The scenarios run in order on one platform: signing in, figures moving while claims flow, a refusal
opened down to its reason, a dead letter replayed and processed, a clearing cycle closed and
reconciled, an auditor who sees everything and can act on nothing, and the hospital gateway watched
like the other services.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from decimal import Decimal

import pytest

from libs.contracts.topics import CLAIMS_SUBMITTED
from tests.support.claims import outpatient_claim
from tests.support.stack import ROOT
from tests.ui.conftest import ARTIFACTS, EMPLOYEES, PEOPLE, Platform, signed_in, snap

pytestmark = pytest.mark.e2e
RESIDENTS = [p for p in PEOPLE if p not in EMPLOYEES]


async def send_claims(platform: Platform, claims: list) -> None:
    async with platform.publisher() as hospital:
        for claim in claims:
            await hospital.send(CLAIMS_SUBMITTED, claim.psn_no, claim, claim.claim_id)


async def number(page, selector: str) -> int:
    return int(await page.locator(selector).inner_text())


async def until(predicate, timeout: float = 60.0, what: str = "the condition") -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        await asyncio.sleep(0.3)


async def test_an_operator_signs_in_and_sees_every_service_ready_or_answering(browser, platform) -> None:
    page = await signed_in(browser, platform, "operator")
    await page.wait_for_selector("[data-testid=services]")
    states = {name: await page.locator(f"[data-testid=state-{name}]").inner_text()
              for name in ("enrollment", "settlement", "wallet", "clearing", "gateway")}
    assert all(state != "down" for state in states.values()), states
    assert await page.locator("#role").inner_text() == "operator"
    await snap(page, "overview-signed-in")
    await page.context.close()


async def test_the_overview_figures_move_while_simulated_claims_flow_without_reloading(browser, platform) -> None:
    page = await signed_in(browser, platform, "operator")
    await page.wait_for_selector("[data-testid=total-settled]")
    before = await number(page, "[data-testid=total-settled]")
    hospitals = await asyncio.to_thread(simulated_hospitals, platform)
    try:
        await until(lambda: _grown(page, before, 10), timeout=120, what="the settled total to grow on screen")
        first = await number(page, "[data-testid=total-settled]")
        await until(lambda: _grown(page, first, 3), timeout=60, what="the settled total to keep growing")
    finally:
        hospitals.send_signal(signal.SIGTERM)
        await asyncio.to_thread(hospitals.wait, 30)
    assert await page.locator("[data-testid=p50]").inner_text() != "—"
    assert (await page.locator("[data-testid=error-rate]").inner_text()).endswith("%")  # records failed per record taken
    await snap(page, "overview", docs=True)
    await page.context.close()


def simulated_hospitals(platform: Platform) -> subprocess.Popen[bytes]:
    """The simulated hospitals and pharmacies of `make run`, on the test's namespace (their claims straight
    to Kafka: the figures on screen are the console's subject here, the gateway's path is tests/gateway's)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "libs.hospital.simulator", "--rate", "8", "--people", "30", "--seed", "5",
         "--every", "5", "--run-tag", "SIMUI-", "--mode", "kafka"], cwd=ROOT, env={**os.environ, **platform.namespace.process_env},
        stdout=(ARTIFACTS / "simulator.log").open("wb"), stderr=subprocess.STDOUT)


async def _grown(page, before: int, by: int) -> bool:
    return await number(page, "[data-testid=total-settled]") >= before + by


async def test_a_refusal_opens_down_to_its_reason(browser, platform) -> None:
    await send_claims(platform, [outpatient_claim("REFUSED-1", "NOBODY-1", insutype="390")])
    page = await signed_in(browser, platform, "operator", lang="zh")
    await page.goto(platform.url + "/#/refusals")
    link = page.locator("[data-testid=refusal-reasons] a", has_text="NOT_INSURED")
    await until(lambda: _appears(page, link), what="NOT_INSURED to appear among the refusals")
    await snap(page, "refusals", docs=True)
    await link.click()
    await page.locator("[data-testid=refused-claims] a", has_text="REFUSED-1").click()
    await page.wait_for_selector("[data-testid=reason-code]")
    assert await page.locator("[data-testid=reason-code]").inner_text() == "NOT_INSURED"
    assert "NOBODY-1" in await page.locator("[data-testid=reason]").inner_text()
    await snap(page, "refusal-claim", docs=True)
    await page.context.close()


async def _appears(page, locator) -> bool:
    if await locator.count():
        return True
    await page.reload()
    return False


async def test_a_dead_letter_replayed_after_the_fix_is_processed(browser, platform) -> None:
    # A defect of the settlement database (a trigger refusing one claim) parks a claim; the fix drops it.
    await platform.sql("settlement", "CREATE FUNCTION refuse_broken() RETURNS trigger LANGUAGE plpgsql AS $$"
                                     " BEGIN RAISE EXCEPTION 'simulated defect for %', NEW.claim_id; END $$")
    await platform.sql("settlement", "CREATE TRIGGER broken BEFORE INSERT ON claims FOR EACH ROW"
                                     " WHEN (NEW.claim_id LIKE 'BROKEN-%') EXECUTE FUNCTION refuse_broken()")
    await send_claims(platform, [outpatient_claim("BROKEN-1", EMPLOYEES[0], insutype="310")])
    await until(lambda: _parked(platform), what="the claim to be parked by settlement")
    await platform.sql("settlement", "DROP TRIGGER broken ON claims")

    page = await signed_in(browser, platform, "operator")
    await page.goto(platform.url + "/#/dead-letters")
    row = page.locator("[data-testid=dead-letters] tr", has_text="simulated defect")
    await row.first.wait_for()
    await row.first.locator("[data-testid=dead-letter-link]").click()
    await page.wait_for_selector("[data-testid=dl-message]")
    message = await page.locator("[data-testid=dl-message]").inner_text()
    assert "BROKEN-1" in message and EMPLOYEES[0] not in message  # the person is masked
    assert "simulated defect" in await page.locator("[data-testid=dl-reason]").inner_text()
    await snap(page, "dead-letter", docs=True)
    await page.fill("#dl-note", "trigger dropped; replaying")
    await page.click("#dl-replay")
    await page.wait_for_selector("[data-testid=dl-action]")
    assert "operator" in await page.locator("[data-testid=dl-action]").inner_text()

    await until(lambda: _settled(platform, "BROKEN-1"), what="the replayed claim to be settled")
    await page.goto(platform.url + "/#/claims/BROKEN-1")
    outcome = page.locator("[data-testid=outcome]", has_text=re.compile("settled"))
    await until(lambda: _appears(page, outcome), what="the console to show the replayed claim settled")
    await page.goto(platform.url + "/#/audit")
    await page.wait_for_selector("[data-testid=audit] td", state="attached")
    assert "dead_letter.replay" in await page.locator("[data-testid=audit]").inner_text()
    await page.context.close()


async def _parked(platform: Platform) -> bool:
    return bool(await platform.sql("settlement", "SELECT count(*) FROM dead_letters WHERE reason LIKE '%simulated defect%'"))


async def _garbled(platform: Platform) -> bool:
    return bool(await platform.sql("settlement", "SELECT count(*) FROM dead_letters WHERE reason NOT LIKE '%simulated%'"))


async def _settled(platform: Platform, claim_id: str) -> bool:
    return await platform.sql("settlement", "SELECT status FROM claims WHERE claim_id = $1", claim_id) == "settled"


async def test_the_clearing_desk_closes_a_cycle_and_runs_its_reconciliation(browser, platform) -> None:
    """As the clearing desk: clearing's own role table admits it alone to closing and reconciling."""
    await send_claims(platform, [outpatient_claim(f"AWAY-{n}", psn, insutype="390", treated="371300",
                                                  hospital="H37130001") for n, psn in enumerate(RESIDENTS[:3])])
    page = await signed_in(browser, platform, "clearing")
    await page.goto(platform.url + "/#/clearing")
    await until(lambda: _appears(page, page.locator("#close-cycle")), what="an open clearing cycle")
    await snap(page, "clearing-open")
    # the insured region (430100, no prepayment with the platform) owes what its residents spent away
    await until(lambda: _appears(page, page.locator("[data-testid=cover-430100]", has_text="short")),
                what="430100's prepayment cover to show it short")
    page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await page.click("#close-cycle")
    await until(lambda: _text_is(page, "[data-testid=cycle-status]", "closed"), what="the cycle to close")
    await page.click("#reconcile")
    await page.wait_for_selector("[data-testid=reconciliation]")
    assert "totals match" in await page.locator("[data-testid=reconciliation]").inner_text()
    await snap(page, "clearing", docs=True)
    await page.context.close()


async def _text_is(page, selector: str, text: str) -> bool:
    return await page.locator(selector).count() > 0 and (await page.locator(selector).inner_text()).strip() == text


async def test_an_auditor_sees_everything_and_can_act_on_nothing(browser, platform) -> None:
    async with platform.publisher() as hospital:  # a HIS bug: bytes that are no claim at all
        await hospital.send_raw(CLAIMS_SUBMITTED, EMPLOYEES[1], b'{"claim_id": "GARBLED-1", "psn_no": "' + EMPLOYEES[1].encode() + b'"')
    await until(lambda: _garbled(platform), what="the garbled message to be parked")
    page = await signed_in(browser, platform, "auditor")
    assert await page.locator("#readonly").is_visible()
    await page.goto(platform.url + "/#/dead-letters")
    await page.locator("[data-testid=dead-letter-link]").first.click()
    await page.wait_for_selector("[data-testid=dl-message]")
    if await page.locator("#dl-replay").count():
        assert await page.locator("#dl-replay").is_disabled() and await page.locator("#dl-discard").is_disabled()
    listed = await page.request.get(platform.url + "/api/dead-letters?status=all")
    first = (await listed.json())["items"][0]
    refused = await page.request.post(f"{platform.url}/api/dead-letters/{first['service']}/{first['id']}/replay",
                                      data={"note": "an auditor tries"})
    assert refused.status == 403
    cycles = await (await page.request.get(platform.url + "/api/clearing")).json()
    cycle_id = cycles["cycles"][0]["cycle_id"]
    refused = await page.request.post(f"{platform.url}/api/clearing/cycles/{cycle_id}/reconciliation")
    assert refused.status == 403
    await page.goto(platform.url + "/#/clearing")
    await page.wait_for_selector("[data-testid=cycle-status]")
    for button in ("#close-cycle", "#reconcile"):
        if await page.locator(button).count():
            assert await page.locator(button).is_disabled()
    await snap(page, "auditor-read-only", docs=True)
    await page.context.close()


async def test_an_operator_discards_a_garbled_message_with_a_note_and_it_is_audited(browser, platform) -> None:
    page = await signed_in(browser, platform, "operator")
    await page.goto(platform.url + "/#/dead-letters")
    row = page.locator("[data-testid=dead-letters] tr", has_text="settlement-claims.submitted").first
    await row.wait_for()
    dead_letter_id = int(await row.locator("[data-testid=dead-letter-link]").inner_text())
    await row.locator("[data-testid=dead-letter-link]").click()
    await page.wait_for_selector("[data-testid=dl-message]")
    await page.click("#dl-discard")  # without a note: refused
    await page.wait_for_selector("[data-testid=action-result]:has-text('422')")
    await page.fill("#dl-note", "the hospital resent it as GARBLED-1b")
    await page.click("#dl-discard")
    await page.wait_for_selector("[data-testid=dl-action]")
    assert "operator" in await page.locator("[data-testid=dl-action]").inner_text()
    assert await platform.sql("settlement", "SELECT note FROM dead_letter_actions WHERE dead_letter_id = $1",
                              dead_letter_id) == "the hospital resent it as GARBLED-1b"
    await page.context.close()


async def test_a_traceability_code_sold_twice_is_a_supervision_alert_that_links_to_its_claims(browser, platform) -> None:
    boxed = [("XA10BAD010A001010100593", Decimal("12.50"), Decimal("1"))]
    claims = [outpatient_claim(f"TRACE-{n}", psn, insutype="310", hospital=f"H3713000{n}", lines=boxed)
              for n, psn in enumerate(EMPLOYEES[2:4])]
    claims = [c.model_copy(update={"fee_details": [c.fee_details[0].model_copy(update={"drug_trac_codg": ["8" * 20]})]})
              for c in claims]
    await send_claims(platform, claims)
    page = await signed_in(browser, platform, "operator", lang="zh")
    await page.goto(platform.url + "/#/supervision")
    alert = page.locator("[data-testid=alerts] tr", has_text="8" * 20)
    await until(lambda: _appears(page, alert), what="the sold-twice alert")
    assert "药品追溯码重复销售" in await alert.inner_text()
    assert (await page.locator("[data-testid=sup-at]").inner_text()).startswith("规则计算于")
    await snap(page, "supervision", docs=True)
    await alert.locator("a", has_text="TRACE-1").click()
    await page.wait_for_selector("[data-testid=claim-id]")
    assert await page.locator("[data-testid=claim-id]").inner_text() == "TRACE-1"
    await page.context.close()


async def test_the_funds_page_shows_payouts_and_the_ledger_balance_check(browser, platform) -> None:
    page = await signed_in(browser, platform, "operator")
    await page.goto(platform.url + "/#/funds")
    await page.wait_for_selector("[data-testid=ledger-check]")
    assert await page.locator("[data-testid=ledger-check]").inner_text() == "debits equal credits"
    assert "371300" in await page.locator("[data-testid=fund-regions]").inner_text()
    await snap(page, "funds", docs=True)
    await page.locator("[data-testid=fund-region-link]", has_text="371300").click()  # one region over time
    await until(lambda: _text_is(page, "[data-testid=funds-region]", "371300"), what="the funds of 371300 alone")
    await page.context.close()


async def test_the_pipeline_page_says_where_its_figures_come_from_and_what_is_absent(browser, platform) -> None:
    page = await signed_in(browser, platform, "auditor")
    await page.goto(platform.url + "/#/pipeline")
    await page.wait_for_selector("[data-testid=pipeline-source]")
    source = await page.locator("[data-testid=pipeline-source]").inner_text()
    assert source in ("prometheus", "services")
    if source == "services" and await page.locator("[data-testid=pipeline-absent]").count():
        assert "Prometheus" in await page.locator("[data-testid=pipeline-absent]").inner_text()
    assert "settlement" in await page.locator("[data-testid=pipeline-dead-letters]").inner_text()
    if source == "services":  # each service's relay, from its own /metrics: its rows leave in time
        assert await page.locator("[data-testid=relay-settlement]").inner_text() == "publishing"
        # the lag of every group, as the console's own collector measures it, not only enrollment's own
        assert "settlement-claims.submitted" in await page.locator("[data-testid=pipe-consumer_lag]").inner_text()
    await snap(page, "pipeline", docs=True)
    await page.context.close()


async def test_a_gateway_dead_letter_is_listed_and_opened_and_the_overview_has_the_gateways_figures(
        browser, platform) -> None:
    dead = await platform.sql(
        "gateway", 'INSERT INTO dead_letters (consumer, topic, partition, "offset", reason, message_id, key, value)'
        " VALUES ('gateway-claims.outcomes', $1, 0, 42, 'a simulated gateway defect', 'raw:42', 'P00012345',"
        " 'not an outcome') RETURNING id", platform.namespace.topic_prefix + "claims.outcomes")
    page = await signed_in(browser, platform, "operator")
    await page.wait_for_selector("[data-testid=gateway-figures]")
    assert await page.locator("[data-testid=state-gateway]").inner_text() != "down"
    await page.goto(platform.url + "/#/dead-letters")
    row = page.locator("[data-testid=dead-letters] tr", has_text="a simulated gateway defect").first
    await row.wait_for()
    assert "gateway" in await row.inner_text()
    assert int(await row.locator("[data-testid=dead-letter-link]").inner_text()) == dead
    await row.locator("[data-testid=dead-letter-link]").click()
    await page.wait_for_selector("[data-testid=dl-message]")
    assert "not an outcome" in await page.locator("[data-testid=dl-message]").inner_text()
    await snap(page, "gateway-dead-letter")
    await page.context.close()


async def test_a_dead_letter_of_settlements_split_payments_consumer_is_replayed_from_the_console(
        browser, platform) -> None:
    # wallet.payments runs in a process of its own (SPLIT_CONSUMERS); the console reaches the other one.
    # A defect on the payment's path (a trigger refusing to settle one claim) parks the wallet's answer there.
    await platform.sql("settlement", "CREATE FUNCTION refuse_payment() RETURNS trigger LANGUAGE plpgsql AS $$"
                                     " BEGIN RAISE EXCEPTION 'simulated payment defect for %', NEW.claim_id; END $$")
    await platform.sql("settlement", "CREATE TRIGGER broken_payment BEFORE UPDATE ON claims FOR EACH ROW WHEN"
                                     " (NEW.claim_id LIKE 'SPLIT-%' AND NEW.status = 'settled')"
                                     " EXECUTE FUNCTION refuse_payment()")
    await send_claims(platform, [outpatient_claim("SPLIT-1", EMPLOYEES[1], insutype="310")])
    await until(lambda: _payment_parked(platform), what="the wallet's answer to be parked by settlement-payments")
    await platform.sql("settlement", "DROP TRIGGER broken_payment ON claims")

    page = await signed_in(browser, platform, "operator")
    await page.goto(platform.url + "/#/dead-letters")
    row = page.locator("[data-testid=dead-letters] tr", has_text="simulated payment defect").first
    await row.wait_for()
    assert "settlement-wallet.payments" in await row.inner_text()
    await row.locator("[data-testid=dead-letter-link]").click()
    await page.wait_for_selector("[data-testid=dl-message]")
    await page.fill("#dl-note", "trigger dropped; replaying the payment")
    await page.click("#dl-replay")
    await page.wait_for_selector("[data-testid=dl-action]")
    assert "operator" in await page.locator("[data-testid=dl-action]").inner_text()
    await until(lambda: _settled(platform, "SPLIT-1"), what="the claim to be settled by the replayed payment")
    await page.context.close()


async def _payment_parked(platform: Platform) -> bool:
    return bool(await platform.sql("settlement", "SELECT count(*) FROM dead_letters WHERE consumer ="
                                   " 'settlement-wallet.payments' AND reason LIKE '%simulated payment defect%'"))
