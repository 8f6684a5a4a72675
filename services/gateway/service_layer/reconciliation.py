"""Reconciliation: period totals (3201) and settlement by settlement through the detail file (3202).

The centre's side is the gateway's record of what it posted: each settlement counts in the period it
was posted in, and its cancellation, negatively, in the period the cancellation happened in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from services.gateway.domain import amounts, detail_file
from services.gateway.domain.detail_file import CANCELLATION, SETTLEMENT, DetailFile, Limits
from services.gateway.domain.errors import InvalidInput
from services.gateway.domain.statement import BALANCED, UNBALANCED, CentreEntry, Totals, compare
from services.gateway.service_layer.call import Call, text, when
from services.gateway.service_layer.deps import Deps
from services.gateway.service_layer.files import file_info

TOTALS_3201 = {"medfee_sumamt": "medfee_sumamt", "fund_pay_sumamt": "fund_pay_sumamt", "acct_pay": "acct_pay",
               "fixmedins_setl_cnt": "count"}
TOTALS_3202 = {"medfee_sumamt": "medfee_sumamt", "fund_pay_sumamt": "fund_pay_sumamt", "cash_payamt": "psn_cash_pay",
               "fixmedins_setl_cnt": "count"}


def _period(data: dict[str, Any]) -> tuple[datetime, datetime]:
    start = when(data, "stmt_begndate")
    end = when(data, "stmt_enddate")
    if end.time() == datetime.min.time():
        end = end + timedelta(days=1)  # a date: the whole day
    if end <= start:
        raise InvalidInput("stmt_enddate is before stmt_begndate")
    return start, end


def _sent(data: dict[str, Any], labels: dict[str, str]) -> Totals:
    values = {name: amounts.fen(data.get(label), label) for label, name in labels.items() if name != "count"}
    count = int(amounts.decimal(data.get("fixmedins_setl_cnt"), "fixmedins_setl_cnt", places=0))
    return Totals(**values, count=count)


async def _entries(deps: Deps, call: Call, data: dict[str, Any], *, insutype: str | None = None) -> list[CentreEntry]:
    """The centre's entries of the period, of the clearing category (and insurance type) asked for."""
    start, end = _period(data)
    clr_type = text(data, "clr_type", required=False, max_length=6)
    limit = deps.files.max_rows
    async with deps.database.transaction() as tx:
        records = await deps.store_for(tx).statement_entries(call.code, start, end, limit + 1)
    if len(records) > limit:
        raise InvalidInput(f"对账期间结算超过 {limit} 笔 (more settlements in the period than one reconciliation "
                           "holds): reconcile a shorter period")
    chosen = [r for r in records if (not clr_type or r["clr_type"] == clr_type)
              and (not insutype or r["insutype"] == insutype)]
    return list(centre_entries(chosen, start, end))


def centre_entries(records: Iterable[asyncpg.Record | dict[str, Any]], start: datetime,
                   end: datetime) -> Iterable[CentreEntry]:
    for r in records:
        for flag, sign, at, msgid in ((SETTLEMENT, 1, r["setl_time"], r["msgid"]),
                                      (CANCELLATION, -1, r["cancel_time"], r["cancel_msgid"] or r["msgid"])):
            if at is not None and start <= at < end:
                yield CentreEntry(r["setl_id"], r["mdtrt_id"], r["psn_no"], msgid, flag,
                                  *(sign * int(r[name] or 0) for name in ("medfee_sumamt", "fund_pay_sumamt",
                                                                          "acct_pay", "psn_cash_pay")))


async def reconcile_totals(deps: Deps, call: Call) -> dict[str, Any]:
    """3201: compare the institution's period totals with the gateway's record of posted settlements;
    `fixmedins_setl_cnt` counts settlements and cancellations."""
    data = call.node("data")
    sent = _sent(data, TOTALS_3201)
    ours = Totals.of(await _entries(deps, call, data, insutype=text(data, "insutype", required=False, max_length=6)))
    differ = sent.differences(ours, TOTALS_3201)
    return {"stmtinfo": {"setl_optins": data.get("setl_optins"), "stmt_rslt": UNBALANCED if differ else BALANCED,
                         "stmt_rslt_dscr": "; ".join(differ) if differ else "对账平 (balanced)"}}


async def reconcile_detail(deps: Deps, call: Call) -> dict[str, Any]:
    """3202: the uploaded detail file (9101) against the centre's entries, row by row, and the period's
    totals; the result rows are kept as a file to download with 9102."""
    data = call.node("data")
    query_no = text(data, "file_qury_no", max_length=30)
    setl_optins = text(data, "setl_optins", max_length=6)
    if setl_optins != call.institution.region:
        raise InvalidInput(f"setl_optins {setl_optins} is not the clearing agency of your settlements "
                           f"({call.institution.region}, their clr_optins)")
    sent = _sent(data, TOTALS_3202)
    async with deps.database.transaction() as tx:
        upload = await deps.store_for(tx).file(call.code, query_no, deps.clock())
    if upload is None or upload.kind != "upload":
        raise InvalidInput(f"文件查询号 file_qury_no {query_no} 不存在或已过期 (no detail file of {call.code} has this "
                           "number): upload the detail file with 9101 first and send the number it returns")
    entries = await _entries(deps, call, data)
    now = deps.clock()
    result_no = detail_file.query_no("result", now)
    filename = result_no + (".txt.zip" if detail_file.is_zip(upload.content) else ".txt")
    content, unbalanced = await asyncio.to_thread(_result_file, upload.content, entries, deps.files, result_no)
    differ = sent.differences(Totals.of(entries), TOTALS_3202)
    deadline = now + timedelta(seconds=deps.files.keep_s)
    output = {"fileinfo": file_info(result_no, filename, deadline),
              "stmtinfo": {"setl_optins": setl_optins, "stmt_rslt": UNBALANCED if differ or unbalanced else BALANCED,
                           "stmt_rslt_dscr": _summary(unbalanced, differ)}}
    async with deps.database.transaction() as tx:
        store = deps.store_for(tx)
        await store.save_file(call.code, result_no, "result", filename, content, deadline)
        await store.save_message(call.code, call.msgid, call.infno, call.body_hash, reply=output)
    return output


def _result_file(content: bytes, entries: list[CentreEntry], limits: Limits, name: str) -> tuple[bytes, int]:
    """Read the detail file row by row against the entries and write the result rows as they come (run
    in a worker thread: a large file takes a moment of CPU); the file and how many rows are unbalanced."""
    detail = DetailFile(content, limits)
    unbalanced = 0

    def lines() -> Iterable[tuple[str, ...]]:
        nonlocal unbalanced
        for row in compare(entries, detail.rows()):
            unbalanced += row.stmt_rslt != BALANCED
            yield row.cells()

    written = detail_file.write_result(lines(), zipped=detail.zipped, member=name + ".txt", gbk=detail.is_gbk())
    return written, unbalanced


def _summary(unbalanced: int, differ: list[str]) -> str:
    rows = f"{unbalanced} 笔不平 (rows not balanced: see the result file)" if unbalanced else "明细平 (every row balanced)"
    return "; ".join([rows, *differ]) if differ else rows + "; 总额平 (totals balanced)"
