"""Wallet transfers, bindings, premiums and credits through the running wallet: commands on
wallet.commands answered on wallet.events, and the same through the HTTP API."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest

from libs.contracts import wallet as w
from libs.contracts.enrollment import CoverageChanged
from libs.contracts.topics import ENROLLMENT_EVENTS, WALLET_COMMANDS
from tests.support.auth import bearer
from tests.support.clients import new_id

pytestmark = pytest.mark.integration


async def a_holder_and_a_bound_relative(wallet, amount: int = 5_000_00) -> tuple[str, str]:
    holder, relative = new_id("H"), new_id("R")
    await wallet.enroll(holder)
    await wallet.enroll(relative, insutype="390")
    await wallet.credit(holder, amount)
    assert (await wallet.bind(holder, relative)).active
    return holder, relative


def transfer(holder: str, relative: str, amount: int, transfer_id: str | None = None) -> w.TransferToRelative:
    return w.TransferToRelative(transfer_id=transfer_id or new_id("T"), psn_no=holder, relative_psn_no=relative,
                                amount=amount)


@contextmanager
def at_night(wallet):
    wallet.clock.now = wallet.clock.now.replace(hour=22, minute=30)
    try:
        yield
    finally:
        wallet.clock.now = wallet.clock.now.replace(hour=10, minute=0)


async def what_moved(wallet, *psn_nos: str) -> tuple:
    return (tuple([(await wallet.balances(p)).model_dump() for p in psn_nos]), await wallet.postings_of(*psn_nos),
            await wallet.db.fetchval("SELECT count(*) FROM transfers WHERE holder = ANY($1::text[])", list(psn_nos)))


async def test_a_transfer_moves_the_money_into_the_relatives_wallet_at_once(wallet) -> None:
    holder, relative = await a_holder_and_a_bound_relative(wallet)
    done = await wallet.command(transfer(holder, relative, 2_000_00))
    assert isinstance(done, w.TransferCompleted)
    assert (done.amount, done.balc) == (2_000_00, 3_000_00)
    assert (await wallet.balances(relative)).wallet == 2_000_00
    response = await wallet.http.get(f"/v1/accounts/{relative}/statement")
    assert [(line["kind"], line["amount"], line["balance"]) for line in response.json()["lines"]] == [
        ("wallet_transfer", 2_000_00, 2_000_00)]


@pytest.mark.parametrize("case", ["above the limit", "at night", "to an unbound person", "reused id, other amount"])
async def test_a_refused_transfer_says_why_and_changes_nothing(wallet, case) -> None:
    holder, relative = await a_holder_and_a_bound_relative(wallet)
    reused = transfer(holder, relative, 100_00)
    await wallet.command(reused)
    before = await what_moved(wallet, holder, relative)
    stranger = new_id("S")
    if case == "above the limit":
        refused = await wallet.command(transfer(holder, relative, 2_000_01))
    elif case == "at night":
        with at_night(wallet):
            refused = await wallet.command(transfer(holder, relative, 100_00))
    elif case == "to an unbound person":
        await wallet.enroll(stranger)
        refused = await wallet.command(transfer(holder, stranger, 100_00))
    else:
        refused = await wallet.command(transfer(holder, relative, 200_00, transfer_id=reused.transfer_id))
    expected = {"above the limit": "TRANSFER_LIMIT_EXCEEDED", "at night": "TRANSFER_NIGHT_WINDOW",
                "to an unbound person": "NOT_BOUND_RELATIVE", "reused id, other amount": "TRANSFER_ID_REUSED"}[case]
    assert isinstance(refused, w.WalletCommandRefused)
    assert (refused.reason_code, refused.command_type, refused.psn_no) == (expected, "TransferToRelative", holder)
    assert refused.reason
    assert await what_moved(wallet, holder, relative) == before
    if case == "to an unbound person":
        assert (await wallet.balances(stranger)).total == 0 and await wallet.postings_of(stranger) == 0


async def test_the_fourth_transfer_of_a_china_day_is_refused_and_the_next_morning_it_passes(wallet) -> None:
    holder, relative = await a_holder_and_a_bound_relative(wallet)
    for _ in range(3):
        assert (await wallet.command(transfer(holder, relative, 10_00))).event_type == "TransferCompleted"
    fourth = transfer(holder, relative, 10_00)
    assert (await wallet.command(fourth)).reason_code == "DAILY_TRANSFER_COUNT_EXCEEDED"
    wallet.clock.now += timedelta(days=1)
    try:
        assert (await wallet.command(fourth)).event_type == "TransferCompleted"
    finally:
        wallet.clock.now -= timedelta(days=1)


async def test_the_http_api_answers_transfers_at_once_idempotently_and_with_reasons(wallet) -> None:
    holder, relative = await a_holder_and_a_bound_relative(wallet)
    body = transfer(holder, relative, 500_00).model_dump()
    as_holder = bearer("holder", psn_no=holder)
    first = await wallet.http.post("/v1/transfers", json=body, headers=as_holder)
    again = await wallet.http.post("/v1/transfers", json=body, headers=as_holder)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() and first.json()["balc"] == 4_500_00
    too_much = await wallet.http.post("/v1/transfers", json=body | {"transfer_id": new_id("T"), "amount": 300_000},
                                      headers=as_holder)
    assert too_much.status_code == 422 and too_much.json()["reason_code"] == "TRANSFER_LIMIT_EXCEEDED"
    reused = await wallet.http.post("/v1/transfers", json=body | {"amount": 1_00}, headers=as_holder)
    assert reused.status_code == 409 and reused.json()["reason_code"] == "TRANSFER_ID_REUSED"
    with at_night(wallet):
        night = await wallet.http.post("/v1/transfers", json=body | {"transfer_id": new_id("T")}, headers=as_holder)
    assert night.status_code == 409 and night.json()["reason_code"] == "TRANSFER_NIGHT_WINDOW"
    malformed = await wallet.http.post("/v1/transfers", json={"psn_no": holder}, headers=as_holder)
    assert malformed.status_code == 422 and malformed.json()["reason_code"] == "INVALID_REQUEST"
    await wallet.events.wait_for(lambda: len(wallet.events.by_correlation.get(body["transfer_id"], [])) >= 3)
    answers = [e.payload.event_type for e in wallet.events.by_correlation[body["transfer_id"]]]
    assert answers == ["TransferCompleted", "TransferCompleted", "WalletCommandRefused"]
    assert (await wallet.balances(holder)).model_dump() == {
        "psn_no": holder, "year": 2026, "prior_years": 0, "current_year": 4_500_00, "wallet": 0, "total": 4_500_00}
    assert (await wallet.http.get(f"/v1/accounts/{new_id('NOBODY')}")).status_code == 404


async def test_a_statement_shows_the_history_with_a_running_balance(wallet) -> None:
    holder, relative = await a_holder_and_a_bound_relative(wallet, amount=1_000_00)
    await wallet.command(transfer(holder, relative, 300_00))
    statement = (await wallet.http.get(f"/v1/accounts/{holder}/statement")).json()
    assert [(line["kind"], line["amount"], line["balance"]) for line in statement["lines"]] == [
        ("credit", 1_000_00, 1_000_00), ("wallet_transfer", -300_00, 700_00)]
    assert statement["balances"] == {"prior_years": 0, "current_year": 700_00, "wallet": 0, "total": 700_00}
    last = (await wallet.http.get(f"/v1/accounts/{holder}/statement", params={"limit": 1, "bucket": "current_year"}))
    assert [line["key"] for line in last.json()["lines"]] == [statement["lines"][-1]["key"]]


async def test_a_premium_paid_for_a_relative_is_announced_to_enrollment_keyed_by_the_relative(wallet) -> None:
    holder, relative = await a_holder_and_a_bound_relative(wallet, amount=1_000_00)
    body = w.PayRelativePremium(payment_id=new_id("PP"), psn_no=holder, relative_psn_no=relative,
                                coverage_year=2027, amount=400_00)
    response = await wallet.http.post("/v1/premium-payments", json=body.model_dump(),
                                      headers=bearer("holder", psn_no=holder))
    assert response.status_code == 200 and response.json()["payer_psn_no"] == holder
    await wallet.events.wait_for(lambda: wallet.events.by_correlation.get(body.payment_id))
    keyed = [r.key.decode() for r in wallet.events.raw if body.payment_id.encode() in r.value]
    assert keyed == [relative]
    assert (await wallet.balances(holder)).total == 600_00


async def test_binding_needs_both_insured_and_revoking_stops_the_family_money(wallet) -> None:
    holder, relative = await a_holder_and_a_bound_relative(wallet, amount=1_000_00)
    uninsured = new_id("U")
    await wallet.enroll(uninsured, active=False)
    refused = await wallet.bind(holder, uninsured)
    assert refused.reason_code == "RELATIVE_NOT_INSURED"
    changed = await wallet.command(w.ChangeMutualAidUses(command_id=new_id("B"), psn_no=holder,
                                                         relative_psn_no=relative, uses=["premium"]))
    assert changed.uses == ["premium"] and changed.active
    revoked = await wallet.command(w.RevokeBinding(command_id=new_id("B"), psn_no=holder, relative_psn_no=relative))
    assert not revoked.active and revoked.revoked_at is not None
    after = await wallet.command(transfer(holder, relative, 10_00))
    assert after.reason_code == "NOT_BOUND_RELATIVE"


async def test_a_credit_that_arrives_before_the_persons_coverage_waits_for_it(wallet) -> None:
    person = new_id("E")
    credit = w.CreditPersonalAccount(credit_id=new_id("CR"), psn_no=person, amount=300_00, kind="contribution",
                                     year=2026)
    await wallet.publisher.send(WALLET_COMMANDS, person, credit, credit.credit_id)
    await wallet.publisher.flush()
    await wallet.until(lambda: wallet.db.fetchval(
        "SELECT 1 FROM credits_awaiting_person WHERE credit_id = $1", credit.credit_id))
    await wallet.publisher.send(ENROLLMENT_EVENTS, person, CoverageChanged(
        psn_no=person, version=1, insutype="310", insuplc_admdvs="371300", gend="2", age=50, active=True), person)
    await wallet.events.wait_for(lambda: wallet.events.by_correlation.get(credit.credit_id), timeout=30)
    credited = wallet.events.by_correlation[credit.credit_id][0].payload
    assert (credited.event_type, credited.balc) == ("AccountCredited", 300_00)
    assert await wallet.db.fetchval("SELECT region FROM credits WHERE credit_id = $1", credit.credit_id) == "371300"
