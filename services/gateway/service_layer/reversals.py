"""Cancelling a posted settlement (2208/2305) and reversing a message by its msgid (2601).

A cancellation is sent to `claims.submitted` like a claim and answered with the reversing split,
every amount negative. A reversal of a 2207/2304 whose reply was lost first finds out what happened
by sending the same claim again (the engine settles a claim id once), then cancels what was posted.
"""

from __future__ import annotations

from typing import Any

from libs.contracts import claims as c
from libs.contracts.topics import CLAIMS_SUBMITTED
from libs.messaging.emit import emit
from services.gateway.domain import replies
from services.gateway.domain.errors import InvalidInput, PlatformRefused, Refusal, VisitStateConflict
from services.gateway.domain.visit import require
from services.gateway.service_layer.call import Call, text
from services.gateway.service_layer.deps import Deps
from services.gateway.service_layer.persons import balance
from services.gateway.service_layer.settling import (
    PRODUCER,
    await_outcome,
    record_outcome,
    refusal_of,
    send_claim,
    settled_output,
)
from services.gateway.service_layer.visits import close_visit


async def cancel(deps: Deps, call: Call) -> dict[str, Any]:
    """2208 / 2305: cancel a posted settlement by setl_id; the reply is the reversing split (negative)."""
    data = call.node("data")
    return await cancel_settlement(deps, call, text(data, "setl_id", max_length=30),
                                   text(data, "mdtrt_id", required=False, max_length=30))


async def cancel_settlement(deps: Deps, call: Call, setl_id: str, mdtrt_id: str | None) -> dict[str, Any]:
    async with deps.database.transaction() as tx:
        store = deps.store_for(tx)
        row = await store.settlement_by_setl_id(call.code, setl_id)
        if row is None or (mdtrt_id and row["mdtrt_id"] != mdtrt_id):
            raise InvalidInput(f"结算ID setl_id {setl_id} 不存在 (no such settlement of visit {mdtrt_id} at {call.code})")
        if row["status"] == "cancelled":
            return _cancelled_output(row["setlinfo"], call.msgid)
        await store.finish_settlement(row["claim_id"], "cancelling")
        await store.save_message(call.code, call.msgid, call.infno, call.body_hash, reply=None,
                                 mdtrt_id=row["mdtrt_id"], claim_id=row["claim_id"])
        request = c.ClaimCancelRequested(claim_id=row["claim_id"], cancel_id=f"cancel:{row['claim_id']}"[:64],
                                         fixmedins_code=call.code, psn_no=row["setlinfo"]["setlinfo"]["psn_no"],
                                         reason=f"{call.infno} {call.msgid}")
        env = emit(tx, CLAIMS_SUBMITTED, request.psn_no, request, producer=PRODUCER, correlation_id=row["claim_id"])
        pending = deps.router.expect(row["claim_id"], "cancel", str(env.event_id))
    outcome = await await_outcome(deps, pending, f"结算撤销 cancellation of {setl_id}")
    if outcome.event_type != "ClaimCancelled":
        async with deps.database.transaction() as tx:
            await deps.store_for(tx).finish_settlement(row["claim_id"], "settled")
        raise refusal_of(outcome)
    p = outcome.payload
    async with deps.database.transaction() as tx:
        store = deps.store_for(tx)
        visit = require(await store.visit(call.code, row["mdtrt_id"]), row["mdtrt_id"])
        released = [sn for sn, ln in visit.lines.items() if ln.claim_id == row["claim_id"]]
        visit.release(row["claim_id"])
        await store.mark_lines(visit, released, None)
        await store.save_visit(visit)
        stored = row["setlinfo"]
        stored["setlinfo"].update(acct_pay=p.acct_pay, acct_mulaid_pay=p.acct_mulaid_pay, psn_cash_pay=p.psn_cash_pay)
        await store.finish_settlement(row["claim_id"], "cancelled", setlinfo=stored,
                                      cancel_time=replies.china(p.cancel_time))
    stored["setlinfo"]["balc"] = await balance(deps, visit.psn_no)
    return _cancelled_output(stored, call.msgid)


def _cancelled_output(stored: dict[str, Any], msgid: str) -> dict[str, Any]:
    out = settled_output(stored, sign=-1)
    out["setlinfo"]["medins_setl_id"] = msgid
    return out


async def reverse(deps: Deps, call: Call) -> None:
    """2601: reverse an earlier message by omsgid + oinfno (a 2207/2304 whose reply the HIS never got,
    or a 2201/2401 registration)."""
    data = call.node("data")
    omsgid, oinfno = text(data, "omsgid", max_length=30), text(data, "oinfno", max_length=6).rstrip("A")
    async with deps.database.transaction() as tx:
        store = deps.store_for(tx)
        original = await store.message(call.code, omsgid)
        if original is None:
            raise InvalidInput(f"原报文 omsgid {omsgid} 不存在 (no such message from {call.code}): nothing to reverse")
        if original.infno != oinfno:
            raise InvalidInput(f"omsgid {omsgid} was a {original.infno}, not {oinfno}")
        row = await store.settlement(original.claim_id) if original.claim_id else None
        retry = await store.message(call.code, call.msgid) is not None  # this 2601 was begun before
    if oinfno in ("2207", "2304"):
        await _reverse_settlement(deps, call, omsgid, row, retry)
        await _done(deps, call)
        return None
    if oinfno in ("2201", "2401"):
        async with deps.database.transaction() as tx:
            store = deps.store_for(tx)
            visit = require(await store.visit(call.code, original.mdtrt_id or ""), original.mdtrt_id or "")
            await close_visit(store, visit)
            await store.save_message(call.code, call.msgid, call.infno, call.body_hash, reply={})
        return None
    raise InvalidInput(f"2601 reverses 2207/2304 settlements and 2201/2401 registrations here; {oinfno} is undone "
                       "with its own cancellation (2205/2302 for fee lines, 2208/2305 for settlements)")


async def _done(deps: Deps, call: Call) -> None:
    """Record that the request succeeded (no output), so its repeat is answered the same."""
    async with deps.database.transaction() as tx:
        await deps.store_for(tx).save_message(call.code, call.msgid, call.infno, call.body_hash, reply={})


async def _reverse_settlement(deps: Deps, call: Call, omsgid: str, row: dict[str, Any] | None, retry: bool) -> None:
    """Cancel what the 2207/2304 of `omsgid` posted; finds out first when its reply was lost."""
    if row is None or row["status"] == "rejected":
        return None  # nothing was posted: the reversal has nothing to undo
    if row["status"] == "cancelled":
        if retry:
            return None  # this reversal, sent again after its reply was lost: done
        raise VisitStateConflict(f"the settlement of omsgid {omsgid} is already cancelled (2208/2305)")
    if row["status"] == "settling":  # its reply was lost: find out what happened, by sending the same claim
        claim = c.ClaimSubmitted.model_validate(row["claim"])
        async with deps.database.transaction() as tx:
            pending = send_claim(deps, tx, claim)
        try:
            await record_outcome(deps, call.code, claim, await await_outcome(deps, pending, f"冲正 reversal of {omsgid}"))
        except PlatformRefused:
            return None  # the engine refused the claim: nothing was posted, nothing to undo
        async with deps.database.transaction() as tx:
            row = await deps.store_for(tx).settlement(claim.claim_id)
        assert row is not None
    if row["status"] not in ("settled", "cancelling"):
        raise Refusal(f"the settlement of omsgid {omsgid} is still being decided; send 2601 again shortly", "TRY_AGAIN")
    await cancel_settlement(deps, call, row["setl_id"], row["mdtrt_id"])
