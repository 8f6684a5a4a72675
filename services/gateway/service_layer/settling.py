"""Pre-settlement, settlement and their cancellation (2206-2208, 2303-2305) and reversal (2601).

The claim is built from the visit kept by the gateway and sent to `claims.submitted` through the
outbox (in the transaction that records the request); this process waits for the outcome on
`claims.outcomes` and answers in the same HTTP call. The claim id is derived from institution,
visit, batch (and settlement generation), so a retry (same msgid or not) settles one claim once:
the engine answers a repeat of a settled claim with the settlement it made.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog

from libs.contracts import claims as c
from libs.contracts.topics import CLAIMS_SUBMITTED
from libs.hospital.outcomes import Outcome, OutcomeTimeout
from libs.messaging.emit import emit
from services.gateway.adapters.platform_http import PlatformUnavailable
from services.gateway.domain import amounts, codes, replies
from services.gateway.domain.errors import InvalidInput, NoReplyInTime, PlatformRefused, Refusal
from services.gateway.domain.visit import INPATIENT, FeeLine, Visit, require
from services.gateway.service_layer.call import Call, text, when
from services.gateway.service_layer.deps import Deps
from services.gateway.service_layer.persons import check_credential

log = structlog.get_logger("gateway")
PRODUCER = "gateway"
SCOPE_INPUT = {"fulamt_ownpay_amt": "fulamt_ownpay_amt", "overlmt_selfpay": "overlmt_amt",
               "preselfpay_amt": "preselfpay_amt", "inscp_scp_amt": "inscp_scp_amt"}


def _claim(call: Call, visit: Visit, lines: list[FeeLine], claim_id: str, action: str, data: dict[str, Any],
           endtime: datetime | None) -> c.ClaimSubmitted:
    inst = call.institution
    bilg = next((ln.bilg_dr_codg for ln in lines if ln.bilg_dr_codg), None)
    return c.ClaimSubmitted(
        claim_id=claim_id, action=action, fixmedins_code=inst.fixmedins_code,
        fixmedins_type=inst.fixmedins_type, hosp_lv=inst.hosp_lv,
        mdtrt_id=visit.mdtrt_id, psn_no=visit.psn_no, insutype=visit.insutype,
        med_type=visit.med_type, insuplc_admdvs=visit.insuplc_admdvs,
        mdtrtarea_admvs=visit.mdtrtarea_admvs, begntime=visit.begntime, endtime=endtime,
        dise_codg=visit.dise_codg, opsp_dise_code=visit.dise_codg if visit.med_type == "14" else None,
        bilg_dr_codg=bilg, acct_used_flag=str(data.get("acct_used_flag", "1")) != "0",
        fee_details=[c.FeeLine(feedetl_sn=ln.feedetl_sn, init_feedetl_sn=ln.init_feedetl_sn,
                               med_list_codg=ln.med_list_codg, cnt=ln.cnt, pric=ln.pric,
                               det_item_fee_sumamt=ln.amount) for ln in lines],
    )


def _prepare(call: Call, visit: Visit, data: dict[str, Any]) -> tuple[list[FeeLine], str | None, datetime | None]:
    """The lines to settle and the stay's end; refuses what does not match what was uploaded."""
    visit.check_open()
    visit.check_person(text(data, "psn_no", required=False, max_length=30))
    raw = text(data, "med_type", required=False, max_length=6)
    if raw:
        visit.med_type, visit.national_med_type = codes.med_type(raw, call.institution.region), raw
    if visit.med_type is None:
        raise InvalidInput(f"医疗类别 med_type of visit {visit.mdtrt_id} is unknown: send it with 2203 or in data")
    sent_insutype = data.get("insutype")
    if sent_insutype not in (None, "") and codes.insutype(sent_insutype, call.institution.region) != visit.insutype:
        raise InvalidInput(f"insutype {data['insutype']} is not the visit's ({visit.insutype}, from 2201/2401)")
    batch = None if visit.kind == INPATIENT else text(data, "chrg_bchno", max_length=30)
    lines = visit.batch(batch)
    total = sum(ln.amount for ln in lines)
    sent = amounts.fen(data.get("medfee_sumamt"), "medfee_sumamt", required=False)
    if sent is not None and sent != total:
        raise InvalidInput(f"medfee_sumamt {amounts.yuan(sent)} ≠ {amounts.yuan(total)}, the total of the uploaded lines "
                           f"({len(lines)}); upload or delete lines so they match")
    for name, part in SCOPE_INPUT.items():
        sent_part = amounts.fen(data.get(name), name, required=False)
        ours = sum(ln.split.__dict__[part] for ln in lines if ln.split)
        if sent_part is not None and sent_part != ours:
            raise InvalidInput(f"{name} {amounts.yuan(sent_part)} ≠ {amounts.yuan(ours)}, the sum of the 2204/2301 replies")
    endtime = None
    if visit.kind == INPATIENT:
        interim = str(data.get("mid_setl_flag") or "0") == "1"
        endtime = visit.endtime or when(data, "dscgTime", required=False) or (call_time(call) if interim else None)
        if endtime is None and call.infno == "2304":
            raise InvalidInput("出院 discharge is not recorded: send 2402 first (or mid_setl_flag 1 for an interim settlement)")
    return lines, batch, endtime


def call_time(call: Call) -> datetime | None:
    return when(call.envelope, "inf_time", required=False)


async def await_outcome(deps: Deps, pending, what: str) -> Outcome:
    try:
        return await pending.outcome(deps.reply_timeout_s)
    except OutcomeTimeout:
        raise NoReplyInTime(f"{what}: 平台未在 {deps.reply_timeout_s:g} 秒内应答 (no answer in time); send the same "
                            "request again (same msgid): it is never paid twice; or reverse it with 2601") from None


def refusal_of(outcome: Outcome) -> PlatformRefused:
    p = outcome.payload
    return PlatformRefused(f"{p.reason} ({p.reason_code})", p.reason_code)


async def presettle(deps: Deps, call: Call) -> dict[str, Any]:
    """2206 / 2303: the split as it would be, nothing posted (balc as if posted)."""
    data = call.node("data")
    async with deps.database.transaction() as tx:
        store = deps.store_for(tx)
        visit = require(await store.visit(call.code, text(data, "mdtrt_id", max_length=30), for_update=False),
                        str(data.get("mdtrt_id")))
        await check_credential(deps, call, data, visit.psn_no, store)
        lines, batch, endtime = _prepare(call, visit, data)
        claim = _claim(call, visit, lines, visit.claim_id(batch), "presettle", data, endtime)
        pending = send_claim(deps, tx, claim)
    outcome = await await_outcome(deps, pending, f"预结算 pre-settlement of {visit.mdtrt_id}")
    if outcome.event_type != "ClaimPreSettled":
        raise refusal_of(outcome)
    p = outcome.payload
    paid = await personal_part(deps, visit.psn_no, p.amounts.psn_part_amt, claim.acct_used_flag)
    split = replies.Split(p.amounts.model_dump(), [(d.fund_pay_type, d.fund_payamt) for d in p.setldetail],
                          paid["acct_pay"], paid["acct_mulaid_pay"], paid["psn_cash_pay"], paid["balc"])
    info = replies.setlinfo(visit, split, national_med_type=visit.national_med_type or visit.med_type or "",
                            medins_setl_id=call.msgid, posted=False)
    return _output(info, replies.setldetail(split))


async def personal_part(deps: Deps, psn_no: str, psn_part_amt: int, acct_used_flag: bool) -> dict[str, int]:
    """How the wallet would pay the personal part now, by the rule a settlement's payment follows (own
    account, then relatives' bound money: family mutual aid, then cash), so that 2206 shows what 2207 pays."""
    try:
        quote = await deps.queries.personal_part_quote(psn_no, psn_part_amt, acct_used_flag)
    except PlatformUnavailable:
        raise Refusal("个人账户暂时无法查询 (the wallet did not answer); send the pre-settlement again",
                      "TRY_AGAIN") from None
    split = {name: int(quote[name]) for name in ("acct_pay", "acct_mulaid_pay", "psn_cash_pay", "balc")}
    if split["acct_pay"] + split["acct_mulaid_pay"] + split["psn_cash_pay"] != psn_part_amt:
        raise Refusal("个人负担 split by the wallet does not add up; send the pre-settlement again", "TRY_AGAIN")
    return split


def _output(info: dict[str, Any], detail: list[dict[str, Any]]) -> dict[str, Any]:
    money = set(replies.MONEY) | {"balc"}
    info = {k: amounts.yuan(v) if k in money else v for k, v in info.items()}
    for row in detail:
        row["inscp_scp_amt"], row["fund_payamt"] = amounts.yuan(row["inscp_scp_amt"]), amounts.yuan(row["fund_payamt"])
    return {"setlinfo": info, "setldetail": detail}


async def settle(deps: Deps, call: Call) -> dict[str, Any]:
    """2207 / 2304: post the settlement once; a retry joins or repeats it."""
    data = call.node("data")
    mdtrt_id = text(data, "mdtrt_id", max_length=30)
    async with deps.database.transaction() as tx:
        store = deps.store_for(tx)
        visit = require(await store.visit(call.code, mdtrt_id), mdtrt_id)
        batch = None if visit.kind == INPATIENT else text(data, "chrg_bchno", max_length=30)
        claim_id = visit.claim_id(batch)
        done = await store.settlement(claim_id)
        if done is not None and done["status"] == "settled":
            await store.save_message(call.code, call.msgid, call.infno, call.body_hash, reply=None, claim_id=claim_id)
            return settled_output(done["setlinfo"])  # the same settlement again, whichever msgid asks
        if done is None or done["status"] == "rejected":  # one under way was checked when it started
            await check_credential(deps, call, data, visit.psn_no, store)
        lines, batch, endtime = _prepare(call, visit, data)
        claim = _claim(call, visit, lines, claim_id, "settle", data, endtime)
        await store.start_settlement(claim_id, call.code, visit.mdtrt_id, batch, call.msgid, call.infno,
                                     claim.model_dump_json())
        await store.save_message(call.code, call.msgid, call.infno, call.body_hash, reply=None,
                                 mdtrt_id=visit.mdtrt_id, claim_id=claim_id)
        await store.save_visit(visit)
        pending = send_claim(deps, tx, claim)
    outcome = await await_outcome(deps, pending, f"结算 settlement of {visit.mdtrt_id}")
    return settled_output(await record_outcome(deps, call.code, claim, outcome))


def send_claim(deps: Deps, tx: Any, claim: c.ClaimSubmitted):
    """Queue the claim in this transaction's outbox and wait for its outcome from now on."""
    env = emit(tx, CLAIMS_SUBMITTED, claim.psn_no, claim, producer=PRODUCER, correlation_id=claim.claim_id)
    return deps.router.expect(claim.claim_id, claim.action, str(env.event_id))


async def record_outcome(deps: Deps, code: str, claim: c.ClaimSubmitted, outcome: Outcome) -> dict[str, Any]:
    """Keep a settlement's outcome (its split in fen, the lines settled); the stored split, or the refusal raised."""
    async with deps.database.transaction() as tx:
        store = deps.store_for(tx)
        row = await store.settlement(claim.claim_id, for_update=True)
        assert row is not None, "a settlement is recorded before its claim is sent"
        if row["status"] in ("settled", "cancelling", "cancelled"):
            return row["setlinfo"]  # another request (or process) recorded it first
        if outcome.event_type != "ClaimSettled":
            await store.finish_settlement(claim.claim_id, "rejected")
            raise refusal_of(outcome)
        p = outcome.payload
        visit = require(await store.visit(code, claim.mdtrt_id), claim.mdtrt_id)
        split = replies.Split(p.amounts.model_dump(), [(d.fund_pay_type, d.fund_payamt) for d in p.setldetail],
                              p.acct_pay, p.acct_mulaid_pay, p.psn_cash_pay, p.balc, p.setl_id, p.setl_time)
        info = replies.setlinfo(visit, split, national_med_type=visit.national_med_type or visit.med_type or "",
                                medins_setl_id=row["msgid"], posted=True)
        stored = {"setlinfo": info, "setldetail": replies.setldetail(split)}
        settled = [line.feedetl_sn for line in claim.fee_details]
        await store.mark_lines(visit, settled, claim.claim_id)
        await store.finish_settlement(claim.claim_id, "settled", setl_id=p.setl_id, setlinfo=stored,
                                      med_type=visit.med_type, insutype=visit.insutype,
                                      setl_time=replies.china(p.setl_time))
    log.info("settled", fixmedins_code=code, mdtrt_id=claim.mdtrt_id, claim_id=claim.claim_id, setl_id=p.setl_id)
    return stored


def settled_output(stored: dict[str, Any], sign: int = 1) -> dict[str, Any]:
    info = dict(stored["setlinfo"])
    if sign < 0:
        for name in replies.MONEY:
            info[name] = -int(info[name] or 0)
    detail = [dict(row, inscp_scp_amt=sign * int(row["inscp_scp_amt"]), fund_payamt=sign * int(row["fund_payamt"]))
              for row in stored["setldetail"]]
    return _output(info, detail)
