"""A holder's account over HTTP is the holder's alone, on the running wallet: nobody else binds it,
moves money out of it or reads it; an idempotency key is the holder's own; the audit log keeps who
did what without the person numbers in clear."""

from __future__ import annotations

import pytest

from libs.contracts import wallet as w
from services.wallet.tests.integration.test_transfers_and_bindings import a_holder_and_a_bound_relative, transfer
from tests.support.auth import bearer
from tests.support.clients import new_id

pytestmark = pytest.mark.integration


async def test_nobody_binds_a_victims_account_or_transfers_out_of_it(wallet) -> None:
    victim, _ = await a_holder_and_a_bound_relative(wallet)
    attacker = new_id("M")
    await wallet.enroll(attacker, insutype="390")
    before = await wallet.balances(victim)
    as_attacker = bearer("holder", psn_no=attacker)
    bind = w.BindRelative(command_id=new_id("B"), psn_no=victim, relative_psn_no=attacker, relation="spouse",
                          uses=["medical", "premium"])
    for path, body in (("/v1/bindings", bind), ("/v1/transfers", transfer(victim, attacker, 2_000_00))):
        refused = await wallet.http.post(path, json=body.model_dump(), headers=as_attacker)
        assert (refused.status_code, refused.json()["code"]) == (403, "NOT_YOUR_ACCOUNT"), path
        anonymous = await wallet.http.post(path, json=body.model_dump(), headers={"Authorization": ""})
        assert anonymous.status_code == 401
    for path in (f"/v1/accounts/{victim}", f"/v1/accounts/{victim}/statement"):
        assert (await wallet.http.get(path, headers=as_attacker)).status_code == 403
    assert await wallet.balances(victim) == before
    assert await wallet.db.fetchval("SELECT count(*) FROM bindings WHERE member = $1", attacker) == 0


async def test_a_transfer_id_used_by_one_holder_is_refused_to_another_and_still_answers_the_first(wallet) -> None:
    holder, relative = await a_holder_and_a_bound_relative(wallet)
    other, others_relative = await a_holder_and_a_bound_relative(wallet)
    mine = transfer(holder, relative, 100_00)
    first = await wallet.http.post("/v1/transfers", json=mine.model_dump(), headers=bearer("holder", psn_no=holder))
    assert first.status_code == 200
    theirs = transfer(other, others_relative, 100_00, transfer_id=mine.transfer_id)
    taken = await wallet.http.post("/v1/transfers", json=theirs.model_dump(), headers=bearer("holder", psn_no=other))
    assert (taken.status_code, taken.json()["code"]) == (409, "IDEMPOTENCY_KEY_TAKEN")
    assert holder not in taken.text and "balc" not in taken.json()
    again = await wallet.http.post("/v1/transfers", json=mine.model_dump(), headers=bearer("holder", psn_no=holder))
    assert again.json() == first.json()
    assert (await wallet.balances(other)).total == 5_000_00


async def test_the_audit_log_names_the_holder_and_the_person_only_by_keyed_hashes(wallet) -> None:
    holder, relative = await a_holder_and_a_bound_relative(wallet)
    body = transfer(holder, relative, 10_00)
    await wallet.http.post("/v1/transfers", json=body.model_dump(), headers=bearer("holder", psn_no=holder))
    found = (await wallet.http.get("/v1/audit", params={"psn_no": holder}, headers=bearer("auditor"))).json()
    [entry] = [e for e in found["entries"] if e["target"].get("transfer_id") == body.transfer_id]
    assert (entry["role"], entry["route"], entry["action"], entry["status"]) == ("holder", "/v1/transfers", "transfer", 200)
    assert entry["subject"].startswith("h:") and entry["target"]["psn_no"] == entry["subject"]
    assert entry["target"]["relative_psn_no"].startswith("h:") and entry["target"]["amount"] == "1000"
    in_clear = await wallet.db.fetchval(
        "SELECT count(*) FROM audit_log WHERE audit_log::text LIKE '%' || $1 || '%' OR audit_log::text LIKE '%' || $2 || '%'",
        holder, relative)
    assert in_clear == 0


async def test_a_command_taken_from_wallet_commands_is_in_the_audit_log_with_its_result(wallet) -> None:
    holder, relative = await a_holder_and_a_bound_relative(wallet)
    done, refused = transfer(holder, relative, 10_00), transfer(holder, relative, 2_000_01)
    await wallet.command(done)
    await wallet.command(refused)
    rows = await wallet.db.fetch("SELECT channel, subject, route, action, code, target FROM audit_log"
                                 " WHERE channel = 'kafka' AND target->>'transfer_id' = ANY($1::text[]) ORDER BY id",
                                 [done.transfer_id, refused.transfer_id])
    assert [(r["route"], r["action"], r["code"]) for r in rows] == [
        ("wallet.commands", "TransferToRelative", "DONE"),
        ("wallet.commands", "TransferToRelative", "TRANSFER_LIMIT_EXCEEDED")]
    # only admin tooling may write wallet.commands (the ACL table): the proven part; then the declared producer
    assert all(holder not in r["target"] and r["subject"].startswith("kafka:admin as ") for r in rows)


async def test_a_holder_reads_their_statement_a_page_at_a_time_newest_first(wallet) -> None:
    holder, relative = await a_holder_and_a_bound_relative(wallet, amount=1_000_00)
    for amount in (1_00, 2_00):
        await wallet.command(transfer(holder, relative, amount))
    as_holder = bearer("holder", psn_no=holder)
    path = f"/v1/accounts/{holder}/statement"
    last = (await wallet.http.get(path, params={"limit": 2}, headers=as_holder)).json()
    assert [line["amount"] for line in last["lines"]] == [-1_00, -2_00] and last["next_before"] is not None
    first = (await wallet.http.get(path, params={"limit": 2, "before": last["next_before"]}, headers=as_holder)).json()
    assert [line["amount"] for line in first["lines"]] == [1_000_00] and first["next_before"] is None
