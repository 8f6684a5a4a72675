"""The gateway's service layer: one handler per transaction (one explicit table), with the session
check and the msgid record around them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from services.gateway.adapters.repository import PgGatewayStore
from services.gateway.domain.errors import MsgidReused, NotSignedIn, UnknownCode
from services.gateway.service_layer import files, lookups, reconciliation, reversals, settling, visits
from services.gateway.service_layer.call import Call
from services.gateway.service_layer.deps import Deps

Handler = Callable[[Deps, Call], Awaitable[dict[str, Any] | files.Download | None]]

HANDLERS: dict[str, Handler] = {
    "9001": lookups.sign_in,
    "1101": lookups.person,
    "2201": visits.register,
    "2202": visits.cancel_visit,
    "2203": visits.diagnose,
    "2204": visits.upload,
    "2205": visits.delete_lines,
    "2206": settling.presettle,
    "2207": settling.settle,
    "2208": reversals.cancel,
    "2301": visits.upload,
    "2302": visits.delete_lines,
    "2303": settling.presettle,
    "2304": settling.settle,
    "2305": reversals.cancel,
    "2401": visits.admit,
    "2402": visits.discharge,
    "2404": visits.cancel_visit,
    "2601": reversals.reverse,
    "3201": reconciliation.reconcile_totals,
    "3202": reconciliation.reconcile_detail,
    "5206": lookups.accumulators,
    "9101": files.upload,
    "9102": files.download,
}
# Transactions that change something: each request is recorded by msgid, a repeat answered from it.
RECORDED = frozenset({"2201", "2202", "2203", "2204", "2205", "2207", "2208", "2301", "2302", "2304", "2305",
                      "2401", "2402", "2404", "2601", "3202", "9101"})


def base_infno(infno: object) -> str:
    """The handler's transaction: 2207A is 2207 with provincial extras."""
    code = str(infno or "").strip()
    base = code[:-1] if code.endswith("A") else code
    if base not in HANDLERS:
        raise UnknownCode("infno", "交易编号", code, ", ".join(sorted(HANDLERS)))
    return base


class GatewayService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def admit(self, store: PgGatewayStore, call: Call) -> Answered | None:
        """The checks before a transaction runs, in the caller's (access) transaction: a current sign-in,
        and a msgid seen before (its first answer, again). None: run the transaction."""
        if call.infno != "9001":
            sign_no = str(call.envelope.get("sign_no") or "")
            if not sign_no:
                raise NotSignedIn("交易签到流水号 sign_no 必填: sign in with 9001 first and send its sign_no")
            since = self.deps.clock() - timedelta(seconds=self.deps.sign_in_valid_s)
            if not await store.signed_in(call.code, sign_no, since):
                raise NotSignedIn(f"sign_no {sign_no} 无效或已过期 (is not a current sign-in of {call.code}); "
                                  "sign in again (9001)")
        if call.infno in RECORDED:
            seen = await store.message(call.code, call.msgid)
            if seen is not None:
                if seen.body_hash != call.body_hash:
                    raise MsgidReused(f"报文ID msgid {call.msgid} 已使用 (was already used for another request); "
                                      "give every request its own msgid")
                if seen.reply is not None:
                    return Answered(seen.reply or None)
        return None

    async def handle(self, call: Call) -> dict[str, Any] | files.Download | None:
        return await HANDLERS[call.infno](self.deps, call)


@dataclass(frozen=True)
class Answered:
    """A request answered before: its first output (None for a transaction without output)."""

    output: dict[str, Any] | None
