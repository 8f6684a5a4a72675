"""The hospital gateway end to end: a HIS speaking the national interface over HTTP to two gateway
processes in front of the whole platform (every service a process, real Kafka and Postgres)."""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg
import httpx
import pytest

from libs.auth import Role
from libs.china_time import CHINA_TIME
from libs.contracts.topics import ENROLLMENT_COMMANDS, WALLET_COMMANDS
from libs.contracts.wallet import BindRelative
from libs.hospital.simulator.national import NationalClient
from services.gateway.adapters.repository import PgGatewayStore
from services.gateway.bootstrap import GatewaySettings
from services.gateway.domain.e_voucher import token_hash
from services.gateway.entrypoints.cli import register as register_institution
from tests.gateway.national import (
    check_line,
    check_settlement_identities,
    d,
    detail_line,
    fee_line,
    keys,
    result_rows,
    zip_of,
)
from tests.support.auth import bearer
from tests.support.clients import Publisher
from tests.support.people import credit, register
from tests.support.processes import ServiceProcess, Services
from tests.support.stack import free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = Path(__file__).parent / "samples" / "hebei-outpatient"  # the reference pack's real replies


def load_samples() -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text())["message"] for p in SAMPLES.glob("*.json")}
HOSPITAL, REGION = "H37130000001", "371300"  # treated where the 310 pack and the 37 catalogue exist
EMPLOYEES = [f"GE{n:04d}" for n in range(12)]
RESIDENTS = [f"GR{n:04d}" for n in range(4)]


def certno(psn: str) -> str:
    seq = (EMPLOYEES + RESIDENTS).index(psn)
    cmd = register(psn, seq, insutype="310" if psn in EMPLOYEES else "390")
    return cmd.certno


async def count(namespace, service: str, sql: str, *args) -> int:
    conn = await asyncpg.connect(namespace.dsn(service))
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()



def gateway_settings(ns) -> GatewaySettings:
    """The gateway's settings for the test namespace's databases (as the institutions' tool reads them)."""
    return GatewaySettings(PGHOST=ns.stack.pghost, PGPORT=ns.stack.pgport, PGUSER=ns.stack.pguser,
                           PGPASSWORD=ns.stack.pgpassword, DB_PREFIX=ns.prefix)

@pytest.fixture(scope="module")
async def platform(own_namespace, tmp_path_factory) -> AsyncIterator[dict]:
    ns = own_namespace
    logs = Path(tmp_path_factory.mktemp("logs"))
    env = {**ns.process_env, "GATEWAY_REPLY_TIMEOUT_S": "6"}
    services = Services(env, logs)
    second = ServiceProcess("gateway", {**env, "GATEWAY_HTTP_PORT": str(free_port())}, logs, "gateway-2")
    await asyncio.to_thread(services.start)
    try:
        second.start()
        await asyncio.to_thread(second.wait_started)
        settings = gateway_settings(ns)
        inst = await register_institution(settings, HOSPITAL, "测试医院", "3", REGION)
        other = await register_institution(settings, "H37130000002", "另一医院", "2", REGION)
        async with Publisher(ns.stack.kafka_bootstrap, ns.topic_prefix) as office:
            for seq, psn in enumerate(EMPLOYEES + RESIDENTS):
                await office.send(ENROLLMENT_COMMANDS, psn, register(psn, seq, insutype="310" if psn in EMPLOYEES else "390"), f"reg-{psn}")
            for psn in EMPLOYEES:
                await office.send(WALLET_COMMANDS, psn, credit(psn, 300_00), f"credit-{psn}")
        for _ in range(600):
            if (await count(ns, "settlement", "SELECT count(*) FROM coverage") == len(EMPLOYEES + RESIDENTS)
                    and await count(ns, "wallet", "SELECT count(*) FROM accounts WHERE prior_years + current_year + wallet > 0")
                    == len(EMPLOYEES)):
                break
            await asyncio.sleep(0.1)
        else:
            pytest.fail("enrollment did not reach settlement and wallet")
        urls = [f"http://127.0.0.1:{ns.http_ports['gateway']}", f"http://127.0.0.1:{second.env['GATEWAY_HTTP_PORT']}"]
        yield {"services": services, "second": second, "urls": urls, "inst": inst, "other": other, "ns": ns}
    finally:
        second.stop()
        await asyncio.to_thread(services.stop)


@pytest.fixture
async def his(platform) -> AsyncIterator[NationalClient]:
    inst = platform["inst"]
    async with NationalClient(platform["urls"][0], inst.fixmedins_code, inst.app_id, inst.app_secret,
                              region=REGION) as client:
        await client.sign_in()
        yield client


async def until_answered(send, attempts: int = 10) -> dict:
    """What a HIS does after a time-out: send the same request again (same msgid) until it is answered."""
    for _ in range(attempts):
        reply = await send()
        if reply["infcode"] == 0 or "no answer in time" not in (reply["err_msg"] or ""):
            return reply
    return reply


def ok(reply: dict) -> dict:
    assert reply["infcode"] == 0, reply.get("err_msg")
    return reply["output"]


async def open_visit(his: NationalClient, psn: str, lines: list[tuple[str, str, str]], *, batch: str = "B1",
                     med_type: str = "11") -> tuple[str, list[dict]]:
    person = ok(await his.call("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": certno(psn), "card_sn": "",
                                                 "begntime": "", "psn_cert_type": "01", "certno": certno(psn),
                                                 "psn_name": "测试人员"}}))
    insured = person["insuinfo"][0]["insuplc_admdvs"]
    now = f"{datetime.now(CHINA_TIME):%Y-%m-%d %H:%M:%S}"
    mdtrt_id = ok(await his.call("2201", {"data": {
        "psn_no": psn, "insutype": person["insuinfo"][0]["insutype"], "begntime": now, "mdtrt_cert_type": "02",
        "mdtrt_cert_no": certno(psn), "ipt_otp_no": f"OP{time.time_ns()}", "atddr_no": "D001", "dr_name": "医生",
        "dept_code": "0301", "dept_name": "内科", "caty": "A03"}}, insuplc_admdvs=insured))["data"]["mdtrt_id"]
    ok(await his.call("2203", {"mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": psn, "med_type": med_type, "begntime": now,
                                            "main_cond_dscr": "咳嗽", "dise_codg": "", "dise_name": ""},
                               "diseinfo": [{"diag_type": "1", "diag_srt_no": "1", "diag_code": "J06.900",
                                             "diag_name": "急性上呼吸道感染", "diag_dept": "内科", "dise_dor_no": "D001",
                                             "dise_dor_name": "医生", "diag_time": now, "vali_flag": "1"}]},
                      insuplc_admdvs=insured))
    result = ok(await his.call("2204", {"feedetail": [fee_line(f"L{i}", mdtrt_id, psn, batch, code, pric, cnt)
                                                      for i, (code, pric, cnt) in enumerate(lines)]},
                               insuplc_admdvs=insured))["result"]
    return mdtrt_id, result


def settle_data(psn: str, mdtrt_id: str, result: list[dict], batch: str = "B1") -> dict:
    total = sum(d(r["det_item_fee_sumamt"]) for r in result)
    data = {"psn_no": psn, "mdtrt_cert_type": "02", "mdtrt_cert_no": certno(psn), "med_type": "11",
            "medfee_sumamt": total, "psn_setlway": "01", "mdtrt_id": mdtrt_id, "chrg_bchno": batch,
            "acct_used_flag": "1", "insutype": "310", "invono": ""}
    for name, part in (("fulamt_ownpay_amt", "fulamt_ownpay_amt"), ("overlmt_selfpay", "overlmt_amt"),
                       ("preselfpay_amt", "preselfpay_amt"), ("inscp_scp_amt", "inscp_scp_amt")):
        data[name] = sum(d(r[part]) for r in result)
    return {"data": data}


LINES = [("002501000010000", "10.00", "1"), ("XJ01DDA064B002010100367", "4.52", "3"),
         ("XA11AAS001A001010100888", "12.00", "1")]


async def test_a_whole_outpatient_visit_settles_with_replies_that_satisfy_every_identity(his, platform) -> None:
    psn = EMPLOYEES[0]
    mdtrt_id, result = await open_visit(his, psn, LINES)
    for row in result:
        check_line(row)
    by_code = {r["feedetl_sn"]: r for r in result}
    assert by_code["L1"]["chrgitm_lv"] == "02" and d(by_code["L1"]["preselfpay_amt"]) == Decimal("0.68")  # 13.56 × 0.05 = 0.678
    assert by_code["L2"]["chrgitm_lv"] == "03" and d(by_code["L2"]["pric_uplmt_amt"]) == 999999
    body = settle_data(psn, mdtrt_id, result)
    pre = ok(await his.call("2206", body, insuplc_admdvs=REGION))
    assert pre["setlinfo"]["setl_id"] is None and pre["setlinfo"]["clr_way"] is None
    check_settlement_identities(pre["setlinfo"])
    posted = ok(await his.call("2207", body, insuplc_admdvs=REGION))
    info = posted["setlinfo"]
    check_settlement_identities(info)
    assert info["setl_id"] and info["clr_type"] == "11" and info["medins_setl_id"]
    assert d(info["medfee_sumamt"]) == d(pre["setlinfo"]["medfee_sumamt"]) == Decimal("35.56")
    assert d(info["fulamt_ownpay_amt"]) == Decimal("12.00") and d(info["preselfpay_amt"]) == Decimal("0.68")
    assert "*" in (info["certno"] or "") and len(info["certno"]) == 18  # masked, never in clear
    accounts = [r for r in posted["setldetail"] if r["fund_pay_type"] == "310200"]
    assert sum(d(r["fund_payamt"]) for r in accounts) == d(info["acct_pay"])
    cum = ok(await his.call("5206", {"data": {"psn_no": psn, "cum_ym": f"{datetime.now(CHINA_TIME).date():%Y%m}"}}, insuplc_admdvs=REGION))
    assert cum["cuminfo"] and {r["insutype"] for r in cum["cuminfo"]} == {"310"}
    undone = ok(await his.call("2208", {"data": {"setl_id": info["setl_id"], "mdtrt_id": mdtrt_id, "psn_no": psn}},
                               insuplc_admdvs=REGION))["setlinfo"]
    check_settlement_identities(undone)
    assert d(undone["medfee_sumamt"]) == -d(info["medfee_sumamt"]) and d(undone["acct_pay"]) == -d(info["acct_pay"])
    assert undone["setl_id"] == info["setl_id"]


async def test_the_reference_samples_come_back_in_the_same_shape(his) -> None:
    psn = EMPLOYEES[1]
    sample = load_samples()

    def adapt(name: str, **ids: str) -> dict:
        msg = copy.deepcopy(sample[name])
        text = json.dumps(msg["input"], ensure_ascii=False)
        for old, new in {"1303001130XXXXXXXXXX": psn, "130302************": certno(psn),
                         "XR05XXX000A000000000000": "XJ01DDA064B002010100367", "2021-11-29": f"{datetime.now(CHINA_TIME).date()}",
                         **ids}.items():
            text = text.replace(old, new)
        return json.loads(text, parse_float=Decimal)

    def same_shape(name: str, reply: dict) -> None:
        expected, got = keys(sample[name]["output"]), keys(ok(reply))
        if isinstance(expected, dict) and "expContent" in expected:
            expected.pop("expContent")
        assert _subset(expected, got), f"{name}: {expected} vs {got}"

    same_shape("00-9001-reply", await his.call("9001", adapt("00-9001-request")))
    same_shape("01-1101-reply", await his.call("1101", adapt("01-1101-request")))
    reg = adapt("02-2201-request")
    reg["data"].update(psn_no=psn, mdtrt_cert_no=certno(psn), begntime=f"{datetime.now(CHINA_TIME):%Y-%m-%d %H:%M:%S}")
    answer = await his.call("2201", reg, insuplc_admdvs=REGION)
    same_shape("02-2201-reply", answer)
    mdtrt_id = answer["output"]["data"]["mdtrt_id"]
    assert answer["output"]["data"]["ipt_otp_no"] == reg["data"]["ipt_otp_no"]
    ids = {"300179916": mdtrt_id}
    assert (await his.call("2203", adapt("03-2203-request", **ids), insuplc_admdvs=REGION))["output"] is None
    lines = await his.call("2204", adapt("04-2204-request", **ids), insuplc_admdvs=REGION)
    same_shape("04-2204-reply", lines)
    (row,) = lines["output"]["result"]
    assert (row["chrgitm_lv"], d(row["preselfpay_amt"]), d(row["inscp_scp_amt"])) == ("02", Decimal("0.23"), Decimal("4.29"))
    pre = await his.call("2206", adapt("05-2206-request", **ids), insuplc_admdvs=REGION)
    same_shape("05-2206-reply", pre)
    check_settlement_identities(pre["output"]["setlinfo"])
    posted = await his.call("2207", adapt("06-2207-request", **ids), insuplc_admdvs=REGION)
    same_shape("06-2207-reply", posted)
    check_settlement_identities(posted["output"]["setlinfo"])
    cancel = adapt("07-2208-request", **ids, **{"400120618": posted["output"]["setlinfo"]["setl_id"]})
    undone = await his.call("2208", cancel, insuplc_admdvs=REGION)
    same_shape("07-2208-reply", undone)
    check_settlement_identities(undone["output"]["setlinfo"])


def _subset(expected, got) -> bool:
    if isinstance(expected, dict):
        return isinstance(got, dict) and all(k in got and _subset(v, got[k]) for k, v in expected.items())
    if isinstance(expected, list):
        return isinstance(got, list) and (not expected or not got or _subset(expected[0], got[0]))
    return True


async def test_unsigned_badly_signed_replayed_and_foreign_requests_are_refused_before_any_handling(his, platform) -> None:
    envelope = his.envelope("9001", {"signIn": {"opter_no": "0007"}})
    body = json.dumps(envelope).encode()
    assert (await his.post(body, {"content-type": "application/json"})).status_code == 401
    bad = his.headers(body)
    bad["x-ca-signature"] = "0" * 64
    refused = await his.post(body, bad)
    assert refused.status_code == 401 and refused.json()["infcode"] == -1 and "signature" in refused.json()["err_msg"]
    stale = his.headers(body, timestamp=str(int(time.time()) - 3600))
    assert (await his.post(body, stale)).status_code == 401
    headers = his.headers(body)
    assert (await his.post(body, headers)).status_code == 200
    again = await his.post(body, headers)
    assert again.status_code == 401 and "nonce" in again.json()["err_msg"]
    other = platform["other"]  # another institution's credentials, this institution's code in the envelope
    async with NationalClient(platform["urls"][0], other.fixmedins_code, other.app_id, other.app_secret,
                              region=REGION) as thief:
        response = await thief.post(body, thief.headers(body))
        assert response.status_code == 403 and HOSPITAL in response.json()["err_msg"]
    sm3 = NationalClient(platform["urls"][0], HOSPITAL, platform["inst"].app_id, platform["inst"].app_secret,
                         region=REGION, method="HmacSM3")
    async with sm3:
        assert (await sm3.call("9001", {"signIn": {"opter_no": "0008"}}))["infcode"] == 0


async def test_business_refusals_name_what_to_fix(his) -> None:
    unknown = await his.call("2203", {"mdtrtinfo": {"mdtrt_id": "1", "psn_no": EMPLOYEES[2], "med_type": "9901",
                                                   "begntime": "2026-12-05 10:00:00"}, "diseinfo": []},
                             insuplc_admdvs=REGION)
    assert unknown["infcode"] == -1 and "med_type" in unknown["err_msg"] and "9901" in unknown["err_msg"]
    per_path = his.envelope("5206", {"data": {"psn_no": EMPLOYEES[2], "cum_ym": "202612"}})
    wrong_path = await his.send(per_path, "/fsi/api/outpatientSettleService/saveSettletA")  # the path of 2207
    assert wrong_path["infcode"] == -1 and "does not belong" in wrong_path["err_msg"]
    sign_in = await his.send(his.envelope("9001", {"signIn": {"opter_no": "0009"}}), "/fsi/api/signInSignOutService/signIn")
    assert sign_in["infcode"] == 0
    his.sign_no, kept = "", his.sign_no
    assert "sign_no" in (await his.call("5206", {"data": {"psn_no": EMPLOYEES[2], "cum_ym": "202612"}}))["err_msg"]
    his.sign_no = kept


async def test_deleted_lines_and_a_cancelled_registration_cannot_be_settled(his) -> None:
    psn = EMPLOYEES[8]
    mdtrt_id, result = await open_visit(his, psn, LINES[:2])
    deleted = await his.call("2205", {"data": {"chrg_bchno": "B1", "mdtrt_id": mdtrt_id, "psn_no": psn}}, insuplc_admdvs=REGION)
    assert deleted["infcode"] == 0
    refused = await his.call("2206", settle_data(psn, mdtrt_id, result), insuplc_admdvs=REGION)
    assert refused["infcode"] == -1 and "2204" in refused["err_msg"]
    assert ok(await his.call("2202", {"data": {"psn_no": psn, "mdtrt_id": mdtrt_id, "ipt_otp_no": "x"}},
                             insuplc_admdvs=REGION)) is None
    late = await his.call("2204", {"feedetail": [fee_line("L9", mdtrt_id, psn, "B2", "002501000010000", "10.00", "1")]},
                          insuplc_admdvs=REGION)
    assert late["infcode"] == -1 and "cancelled" in late["err_msg"]


async def test_totals_reconcile_with_what_was_settled_for_the_period(platform) -> None:
    ns = platform["ns"]
    settings = gateway_settings(ns)
    inst = await register_institution(settings, "H37130000055", "对账医院", "3", REGION)
    async with NationalClient(platform["urls"][0], inst.fixmedins_code, inst.app_id, inst.app_secret,
                              region=REGION) as his:
        await his.sign_in()
        psn = EMPLOYEES[9]
        mdtrt_id, result = await open_visit(his, psn, LINES[:2])
        info = ok(await his.call("2207", settle_data(psn, mdtrt_id, result), insuplc_admdvs=REGION))["setlinfo"]
        today = f"{datetime.now(CHINA_TIME):%Y-%m-%d}"
        totals = {"insutype": "310", "clr_type": "11", "setl_optins": REGION, "stmt_begndate": today,
                  "stmt_enddate": today, "medfee_sumamt": info["medfee_sumamt"], "fund_pay_sumamt": info["fund_pay_sumamt"],
                  "acct_pay": info["acct_pay"], "fixmedins_setl_cnt": 1, "refd_setl_flag": "0"}
        balanced = ok(await his.call("3201", {"data": totals}))["stmtinfo"]
        assert balanced["stmt_rslt"] == "0", balanced["stmt_rslt_dscr"]
        unbalanced = ok(await his.call("3201", {"data": {**totals, "fixmedins_setl_cnt": 2}}))["stmtinfo"]
        assert unbalanced["stmt_rslt"] == "1" and "fixmedins_setl_cnt" in unbalanced["stmt_rslt_dscr"]


async def download(his: NationalClient, query_no: str, filename: str = "") -> httpx.Response:
    """9102: the reply is the file's bytes (a refusal: the JSON reply envelope)."""
    body = json.dumps(his.envelope("9102", {"fsDownloadIn": {"file_qury_no": query_no, "filename": filename,
                                                             "fixmedins_code": his.code}})).encode()
    return await his.post(body, his.headers(body))


async def test_the_detail_file_reconciles_row_by_row_and_its_result_is_downloaded_by_its_institution_only(
        platform) -> None:
    ns = platform["ns"]
    settings = gateway_settings(ns)
    inst = await register_institution(settings, "H37130000066", "明细对账医院", "3", REGION)
    async with NationalClient(platform["urls"][0], inst.fixmedins_code, inst.app_id, inst.app_secret,
                              region=REGION) as his:
        await his.sign_in()
        posted = []
        for psn in (EMPLOYEES[10], EMPLOYEES[10], EMPLOYEES[11]):
            mdtrt_id, result = await open_visit(his, psn, LINES[:2])
            posted.append(ok(await his.call("2207", settle_data(psn, mdtrt_id, result), insuplc_admdvs=REGION))["setlinfo"])
        first, second, third = posted
        cancelled = ok(await his.call("2208", {"data": {"setl_id": third["setl_id"], "mdtrt_id": third["mdtrt_id"],
                                                        "psn_no": third["psn_no"]}}, insuplc_admdvs=REGION))["setlinfo"]
        today = datetime.now(CHINA_TIME).date()
        totals = {"setl_optins": REGION, "stmt_begndate": f"{today - timedelta(days=1)}", "stmt_enddate": f"{today}",
                  "fixmedins_setl_cnt": 4, "clr_type": "11",
                  **{name: sum(d(i[field]) for i in (*posted, cancelled)) for name, field in (
                      ("medfee_sumamt", "medfee_sumamt"), ("fund_pay_sumamt", "fund_pay_sumamt"),
                      ("cash_payamt", "psn_cash_pay"))}}

        lines = [detail_line(i) for i in posted] + [detail_line(cancelled, "1")]
        matching = zip_of("\n".join(lines) + "\n", "detail.txt")
        uploaded = ok(await his.call("9101", {"fsUploadIn": {"in": list(matching), "filename": "detail.txt.zip",
                                                             "fixmedins_code": his.code}}))
        assert uploaded["filename"] == "detail.txt.zip" and uploaded["dld_endtime"]
        balanced = ok(await his.call("3202", {"data": {**totals, "file_qury_no": uploaded["file_qury_no"]}}))
        assert balanced["stmtinfo"]["stmt_rslt"] == "0", balanced["stmtinfo"]["stmt_rslt_dscr"]
        got = await download(his, balanced["fileinfo"]["file_qury_no"], balanced["fileinfo"]["filename"])
        assert got.headers["content-type"] == "application/octet-stream"
        misnamed = json.loads((await download(his, balanced["fileinfo"]["file_qury_no"], "other.txt")).content)
        assert misnamed["infcode"] == -1 and balanced["fileinfo"]["filename"] in misnamed["err_msg"]
        rows = result_rows(got.content)
        assert [(r["setl_id"], r["refd_setl_flag"], r["stmt_rslt"]) for r in rows] == [
            (first["setl_id"], "0", "0"), (second["setl_id"], "0", "0"), (third["setl_id"], "0", "0"),
            (third["setl_id"], "1", "0")]
        assert rows[0]["msgid"] == first["medins_setl_id"] and rows[3]["msgid"] == cancelled["medins_setl_id"]

        changed = d(first["medfee_sumamt"]) + 1
        differing = [detail_line(first, medfee_sumamt=changed), lines[2], lines[3],
                     "S-NOT-HERE\tM-X\tP-X\t1.00\t0.00\t1.00\t0"]
        upload = base64.b64encode(zip_of("\n".join(differing), "detail.txt")).decode()
        uploaded = ok(await his.call("9101", {"fsUploadIn": {"in": upload, "filename": "detail2.txt.zip",
                                                             "fixmedins_code": his.code}}))
        unbalanced = ok(await his.call("3202", {"data": {**totals, "file_qury_no": uploaded["file_qury_no"]}}))
        assert unbalanced["stmtinfo"]["stmt_rslt"] == "1"
        result_no = unbalanced["fileinfo"]["file_qury_no"]
        by_key = {(r["setl_id"], r["refd_setl_flag"]): r for r in result_rows((await download(his, result_no)).content)}
        assert {k: r["stmt_rslt"] for k, r in by_key.items()} == {
            (first["setl_id"], "0"): "1", (second["setl_id"], "0"): "1", (third["setl_id"], "0"): "0",
            (third["setl_id"], "1"): "0", ("S-NOT-HERE", "0"): "1"}
        assert by_key[(first["setl_id"], "0")]["memo"] == (f"medfee_sumamt 机构 {changed:.2f} / 中心 "
                                                         f"{d(first['medfee_sumamt']):.2f}")
        assert "missing at the institution" in by_key[(second["setl_id"], "0")]["memo"]
        assert "missing at the centre" in by_key[("S-NOT-HERE", "0")]["memo"]

        malformed = base64.b64encode(b"S1\tM1\tP1\t1.00\t0\t1.00\t0\nS2\tM2\n").decode()
        bad = ok(await his.call("9101", {"fsUploadIn": {"in": malformed, "filename": "bad.txt", "fixmedins_code": his.code}}))
        refused = await his.call("3202", {"data": {**totals, "file_qury_no": bad["file_qury_no"]}})
        assert refused["infcode"] == -1 and "line 2" in refused["err_msg"]
        unknown = json.loads((await download(his, "R20261205000000nosuchfile")).content)
        assert unknown["infcode"] == -1 and "file_qury_no" in unknown["err_msg"]

    other = platform["other"]
    async with NationalClient(platform["urls"][1], other.fixmedins_code, other.app_id, other.app_secret,
                              region=REGION) as stranger:
        await stranger.sign_in()
        foreign = json.loads((await download(stranger, result_no)).content)
        assert foreign["infcode"] == -1 and foreign["output"] is None


async def test_a_settlement_that_timed_out_is_paid_once_when_the_his_retries(his, platform) -> None:
    psn, ns = EMPLOYEES[3], platform["ns"]
    mdtrt_id, result = await open_visit(his, psn, LINES[:2])
    wallet = platform["services"]["wallet"]
    await asyncio.to_thread(wallet.stop)
    body = settle_data(psn, mdtrt_id, result)
    envelope = his.envelope("2207", body, insuplc_admdvs=REGION)
    try:
        first = await his.send(envelope)
        assert first["infcode"] == -1 and "2601" in first["err_msg"]
    finally:
        await asyncio.to_thread(wallet.start)
        await asyncio.to_thread(wallet.wait_started)
    retried = ok(await until_answered(lambda: his.send(envelope)))  # the same msgid, signed anew
    check_settlement_identities(retried["setlinfo"])
    other_msgid = ok(await his.call("2207", body, insuplc_admdvs=REGION))  # a new msgid, the same batch
    assert other_msgid["setlinfo"]["setl_id"] == retried["setlinfo"]["setl_id"]
    claim_id = f"{HOSPITAL}:{mdtrt_id}:B1"
    assert await count(ns, "wallet", "SELECT count(*) FROM claim_payments WHERE claim_id = $1", claim_id) == 1
    assert await count(ns, "settlement", "SELECT count(*) FROM claims WHERE claim_id = $1 AND status = 'settled'", claim_id) == 1


async def test_a_reversal_by_the_original_msgid_undoes_the_settlement(his, platform) -> None:
    psn = EMPLOYEES[4]
    mdtrt_id, result = await open_visit(his, psn, LINES[:2])
    envelope = his.envelope("2207", settle_data(psn, mdtrt_id, result), insuplc_admdvs=REGION)
    posted = ok(await his.send(envelope))
    assert (await his.call("2601", {"data": {"psn_no": psn, "omsgid": envelope["msgid"], "oinfno": "2207"}},
                           insuplc_admdvs=REGION))["infcode"] == 0
    claim_id = f"{HOSPITAL}:{mdtrt_id}:B1"
    assert await count(platform["ns"], "settlement", "SELECT count(*) FROM claims WHERE claim_id = $1 AND status = 'cancelled'",
                       claim_id) == 1
    again = await his.call("2601", {"data": {"psn_no": psn, "omsgid": envelope["msgid"], "oinfno": "2207"}},
                           insuplc_admdvs=REGION)
    assert again["infcode"] == -1 and "cancelled" in again["err_msg"]
    assert posted["setlinfo"]["setl_id"]


async def test_a_reversal_of_a_settlement_whose_reply_was_lost_undoes_whatever_was_posted(his, platform) -> None:
    psn, ns = EMPLOYEES[7], platform["ns"]
    mdtrt_id, result = await open_visit(his, psn, LINES[:2])
    wallet = platform["services"]["wallet"]
    await asyncio.to_thread(wallet.stop)
    envelope = his.envelope("2207", settle_data(psn, mdtrt_id, result), insuplc_admdvs=REGION)
    try:
        assert (await his.send(envelope))["infcode"] == -1  # the HIS never learns what happened
    finally:
        await asyncio.to_thread(wallet.start)
        await asyncio.to_thread(wallet.wait_started)
    reversal_envelope = his.envelope("2601", {"data": {"psn_no": psn, "omsgid": envelope["msgid"], "oinfno": "2207"}},
                                     insuplc_admdvs=REGION)
    reversal = await until_answered(lambda: his.send(reversal_envelope))
    assert reversal["infcode"] == 0, reversal["err_msg"]
    claim_id = f"{HOSPITAL}:{mdtrt_id}:B1"
    assert await count(ns, "settlement", "SELECT count(*) FROM claims WHERE claim_id = $1 AND status = 'cancelled'", claim_id) == 1
    assert await count(ns, "wallet", "SELECT count(*) FROM claim_payments WHERE claim_id = $1", claim_id) == 1


async def test_a_visit_opened_on_one_gateway_process_settles_on_the_other(his, platform) -> None:
    psn = EMPLOYEES[5]
    mdtrt_id, result = await open_visit(his, psn, LINES[:2])
    inst = platform["inst"]
    async with NationalClient(platform["urls"][1], HOSPITAL, inst.app_id, inst.app_secret, region=REGION) as second:
        second.sign_no = his.sign_no
        body = settle_data(psn, mdtrt_id, result)
        replies = await asyncio.gather(second.call("2206", body, insuplc_admdvs=REGION),
                                       his.call("2206", body, insuplc_admdvs=REGION))
        for r in replies:
            check_settlement_identities(ok(r)["setlinfo"])
        posted = ok(await second.call("2207", body, insuplc_admdvs=REGION))
    check_settlement_identities(posted["setlinfo"])


async def test_a_whole_inpatient_stay_settles_and_cancels(his, platform) -> None:
    psn = RESIDENTS[0]
    person = ok(await his.call("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": certno(psn)}}))
    insured = person["insuinfo"][0]["insuplc_admdvs"]
    inst = platform["inst"]
    # a resident insured in 430100 is treated at home: a hospital registered in 430100
    from services.gateway.entrypoints.cli import register as reg
    ns = platform["ns"]
    settings = gateway_settings(ns)
    home = await reg(settings, "H43010000009", "长沙医院", "2", insured)
    async with NationalClient(platform["urls"][0], home.fixmedins_code, home.app_id, home.app_secret,
                              region=insured) as h:
        await h.sign_in()
        admitted = ok(await h.call("2401", {"mdtrtinfo": {
            "psn_no": psn, "insutype": "390", "begntime": "2026-12-01 08:00:00", "mdtrt_cert_type": "02",
            "mdtrt_cert_no": certno(psn), "med_type": "2101", "ipt_no": "ZY001", "atddr_no": "D001", "chfpdr_name": "医生",
            "adm_diag_dscr": "阑尾炎", "adm_dept_codg": "0401", "adm_dept_name": "外科", "adm_bed": "12",
            "dscg_maindiag_code": "K35.800", "dscg_maindiag_name": "急性阑尾炎"},
            "diseinfo": [{"psn_no": psn, "diag_type": "1", "maindiag_flag": "1", "diag_srt_no": "1",
                          "diag_code": "K35.800", "diag_name": "急性阑尾炎", "diag_dept": "外科", "dise_dor_no": "D001",
                          "dise_dor_name": "医生", "diag_time": "2026-12-01 08:00:00"}]}, insuplc_admdvs=insured))
        mdtrt_id = admitted["result"]["mdtrt_id"]
        day1 = ok(await h.call("2301", {"feedetail": [
            fee_line("D1-1", mdtrt_id, psn, "", "001102000010000", "35.00", "1"),
            fee_line("D1-2", mdtrt_id, psn, "", "003311000010000", "1200.00", "1"),
            fee_line("D1-3", mdtrt_id, psn, "", "XJ01DDA064B002010100367", "8.80", "4")]}, insuplc_admdvs=insured))
        day2 = ok(await h.call("2301", {"feedetail": [
            fee_line("D2-1", mdtrt_id, psn, "", "001102000010000", "35.00", "1"),
            fee_line("D2-2", mdtrt_id, psn, "", "XJ01DDA064B002010100367", "8.80", "-1", init="D1-3")]},
            insuplc_admdvs=insured))
        rows = day1["result"] + day2["result"]
        for row in rows:
            check_line(row)
        ok(await h.call("2402", {"dscginfo": {"mdtrt_id": mdtrt_id, "psn_no": psn, "insutype": "390",
                                              "endtime": "2026-12-04 10:00:00", "dise_codg": "K35.800"},
                                 "diseinfo": []}, insuplc_admdvs=insured))
        total = sum(d(r["det_item_fee_sumamt"]) for r in rows)
        data = {"data": {"psn_no": psn, "mdtrt_cert_type": "02", "mdtrt_cert_no": certno(psn), "medfee_sumamt": total,
                         "psn_setlway": "01", "mdtrt_id": mdtrt_id, "insutype": "390", "acct_used_flag": "0",
                         "mid_setl_flag": "0", "invono": ""}}
        pre = ok(await h.call("2303", data, insuplc_admdvs=insured))["setlinfo"]
        check_settlement_identities(pre)
        posted = ok(await h.call("2304", data, insuplc_admdvs=insured))["setlinfo"]
        check_settlement_identities(posted)
        assert posted["clr_type"] == "21" and posted["med_type"] == "2101" and d(posted["medfee_sumamt"]) == total
        assert d(posted["hifp_pay"]) > 0
        undone = ok(await h.call("2305", {"data": {"mdtrt_id": mdtrt_id, "setl_id": posted["setl_id"], "psn_no": psn}},
                                 insuplc_admdvs=insured))["setlinfo"]
        check_settlement_identities(undone)
        assert d(undone["hifp_pay"]) == -d(posted["hifp_pay"])
    assert inst


async def test_the_simulated_hospitals_settle_whole_visits_over_the_national_interface(platform) -> None:
    from libs.hospital.simulator.enroll import enroll
    from libs.hospital.simulator.national_mode import VisitPlayer, connect
    from libs.hospital.simulator.population import build_population

    ns = platform["ns"]
    population = build_population(3, 30, tag="NS-", year=datetime.now(CHINA_TIME).date().year)
    await enroll(ns.stack.kafka_bootstrap, ns.topic_prefix, population, datetime.now(CHINA_TIME).date().year)
    settings = gateway_settings(ns)
    clients = await connect(platform["urls"][1], population, settings)
    try:
        for _ in range(100):  # until the settlement engine knows the population
            if await count(ns, "settlement", "SELECT count(*) FROM coverage WHERE psn_no LIKE 'NS-%'") >= len(population.people):
                break
            await asyncio.sleep(0.2)
        stats = await VisitPlayer(clients, population, seed=3).run(rate=3, duration=4)
    finally:
        for client in clients.values():
            await client.__aexit__()
    assert stats.visits >= 10 and stats.errors == 0
    assert stats.settled >= stats.visits * 0.8, stats.summary()


async def test_the_curl_example_settles_a_whole_outpatient_visit(platform) -> None:
    import os
    import subprocess

    ns = platform["ns"]
    settings = gateway_settings(ns)
    inst = await register_institution(settings, "H37130000077", "示例医院", "3", REGION)  # as `make institution`
    env = {**os.environ, "GATEWAY": platform["urls"][0], "CODE": inst.fixmedins_code, "REGION": REGION,
           "APP_ID": inst.app_id, "APP_SECRET": inst.app_secret, "CERTNO": certno(EMPLOYEES[6])}
    done = await asyncio.to_thread(subprocess.run, ["bash", str(ROOT / "examples" / "outpatient-visit.sh")],
                                   env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr + done.stdout
    assert "2207 setl_id" in done.stdout and "total 14.52" in done.stdout
    assert "3202 stmt_rslt 0" in done.stdout and "\t0\t0\t\t14.52\t" in done.stdout  # one balanced row, no memo


@pytest.fixture
async def counter(platform) -> AsyncIterator[NationalClient]:
    """A HIS of an institution of its own (the simulated hospitals re-register the shared one)."""
    inst = await register_institution(gateway_settings(platform["ns"]), "H37130000088", "凭证医院", "3", REGION)
    async with NationalClient(platform["urls"][0], inst.fixmedins_code, inst.app_id, inst.app_secret,
                              region=REGION) as client:
        await client.sign_in()
        yield client


async def e_voucher(platform, psn: str) -> dict:
    """What a holder's app does: ask the gateway for an e-voucher with the holder's own token."""
    async with httpx.AsyncClient(base_url=platform["urls"][0], timeout=10) as client:
        answer = await client.post("/v1/e-vouchers", json={}, headers=bearer(Role.holder, psn_no=psn))
    assert answer.status_code == 201, answer.text
    return answer.json()


async def test_a_patient_s_e_voucher_finds_them_opens_the_visit_and_settles_it_at_one_counter_only(counter, platform) -> None:
    psn = EMPLOYEES[11]
    voucher = await e_voucher(platform, psn)
    token = voucher["ec_token"]
    assert voucher["psn_no"] == psn and 0 < voucher["valid_s"] <= 3600 and len(token) <= 50
    found = ok(await counter.call("1101", {"data": {"mdtrt_cert_type": "01", "mdtrt_cert_no": token}}))
    assert found["baseinfo"]["psn_no"] == psn
    insured = found["insuinfo"][0]["insuplc_admdvs"]
    now = f"{datetime.now(CHINA_TIME):%Y-%m-%d %H:%M:%S}"
    register = {"psn_no": psn, "insutype": "310", "begntime": now, "mdtrt_cert_type": "01", "mdtrt_cert_no": token,
                "ipt_otp_no": f"OP{time.time_ns()}", "atddr_no": "D001", "dr_name": "医生", "dept_code": "0301",
                "dept_name": "内科", "caty": "A03"}
    other_person = await counter.call("2201", {"data": {**register, "psn_no": EMPLOYEES[2]}}, insuplc_admdvs=insured)
    assert other_person["infcode"] == -1 and "another person" in other_person["err_msg"]
    mdtrt_id = ok(await counter.call("2201", {"data": register}, insuplc_admdvs=insured))["data"]["mdtrt_id"]
    ok(await counter.call("2203", {"mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": psn, "med_type": "11", "begntime": now},
                               "diseinfo": [{"diag_type": "1", "diag_srt_no": "1", "diag_code": "J06.900",
                                             "diag_name": "急性上呼吸道感染", "maindiag_flag": "1"}]},
                      insuplc_admdvs=insured))
    result = ok(await counter.call("2204", {"feedetail": [fee_line(f"L{i}", mdtrt_id, psn, "B1", code, pric, cnt)
                                                      for i, (code, pric, cnt) in enumerate(LINES)]},
                               insuplc_admdvs=insured))["result"]
    body = settle_data(psn, mdtrt_id, result)
    body["data"].update(mdtrt_cert_type="01", mdtrt_cert_no=token)
    pre = ok(await counter.call("2206", body, insuplc_admdvs=insured))["setlinfo"]
    posted = ok(await counter.call("2207", body, insuplc_admdvs=insured))["setlinfo"]
    check_settlement_identities(posted)
    assert posted["setl_id"] and d(posted["acct_pay"]) == d(pre["acct_pay"]) and posted["mdtrt_cert_type"] == "01"
    other = await register_institution(gateway_settings(platform["ns"]), "H37130000089", "另一凭证医院", "3", REGION)
    async with NationalClient(platform["urls"][0], other.fixmedins_code, other.app_id, other.app_secret,
                              region=REGION) as elsewhere:
        await elsewhere.sign_in()
        refused = await elsewhere.call("1101", {"data": {"mdtrt_cert_type": "01", "mdtrt_cert_no": token}})
    assert refused["infcode"] == -1 and "refresh the QR code" in refused["err_msg"] and psn not in refused["err_msg"]


async def test_an_expired_or_unknown_e_voucher_is_refused_with_what_the_clerk_should_do(counter, platform) -> None:
    ns = platform["ns"]
    conn = await asyncpg.connect(ns.dsn("gateway"))
    try:
        await PgGatewayStore(conn).save_e_voucher(token_hash("an-old-qr-code"), EMPLOYEES[11],
                                                  datetime.now(UTC) - timedelta(seconds=1))
    finally:
        await conn.close()
    expired = await counter.call("1101", {"data": {"mdtrt_cert_type": "01", "mdtrt_cert_no": "an-old-qr-code"}})
    assert expired["infcode"] == -1 and expired["err_msg"].startswith("电子凭证已过期")
    assert "refresh the QR code" in expired["err_msg"]
    unknown = await counter.call("1101", {"data": {"mdtrt_cert_type": "01", "mdtrt_cert_no": "never-issued"}})
    assert unknown["infcode"] == -1 and "电子凭证无效" in unknown["err_msg"]
    async with httpx.AsyncClient(base_url=platform["urls"][0], timeout=10) as client:
        foreign = await client.post("/v1/e-vouchers", json={"psn_no": EMPLOYEES[2]},
                                    headers=bearer(Role.holder, psn_no=EMPLOYEES[11]))
        hospital = await client.post("/v1/e-vouchers", json={}, headers=bearer(Role.hospital, institution=HOSPITAL))
    assert (foreign.status_code, foreign.json()["code"]) == (403, "NOT_YOUR_ACCOUNT")
    assert (hospital.status_code, hospital.json()["code"]) == (403, "ROLE_NOT_ALLOWED")


async def test_a_social_security_card_finds_its_holder_by_the_card_number(counter) -> None:
    psn = EMPLOYEES[11]
    by_id = ok(await counter.call("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": certno(psn)}}))
    by_card = ok(await counter.call("1101", {"data": {"mdtrt_cert_type": "03", "mdtrt_cert_no": certno(psn).lower(),
                                                  "card_sn": "A12345678"}}))
    assert by_card == by_id and by_card["baseinfo"]["psn_no"] == psn


async def test_a_pre_settlement_shows_the_family_mutual_aid_the_settlement_then_pays(platform) -> None:
    holder, member, ns = EMPLOYEES[10], RESIDENTS[1], platform["ns"]
    async with Publisher(ns.stack.kafka_bootstrap, ns.topic_prefix) as app:
        await app.send(WALLET_COMMANDS, holder, BindRelative(command_id=f"bind-{member}", psn_no=holder,
                                                             relative_psn_no=member, relation="parent", uses=["medical"]),
                       f"bind-{member}")
    for _ in range(300):
        if await count(ns, "wallet", "SELECT count(*) FROM bindings WHERE member = $1 AND revoked_at IS NULL", member):
            break
        await asyncio.sleep(0.1)
    else:
        pytest.fail("the wallet did not record the binding")
    person_region = "430100"  # a resident is treated at home, by a hospital of their own region
    home = await register_institution(gateway_settings(platform["ns"]), "H43010000011", "长沙家庭医院", "2", person_region)
    async with NationalClient(platform["urls"][0], home.fixmedins_code, home.app_id, home.app_secret,
                              region=person_region) as h:
        await h.sign_in()
        mdtrt_id, result = await open_visit(h, member, LINES)
        body = settle_data(member, mdtrt_id, result)
        body["data"]["insutype"] = "390"
        pre = ok(await h.call("2206", body, insuplc_admdvs=person_region))["setlinfo"]
        posted = ok(await h.call("2207", body, insuplc_admdvs=person_region))["setlinfo"]
    for info in (pre, posted):
        check_settlement_identities(info)
    assert d(pre["acct_mulaid_pay"]) > 0 and d(pre["acct_pay"]) == 0  # a resident has no account: family money
    assert [d(pre[k]) for k in ("acct_pay", "acct_mulaid_pay", "psn_cash_pay", "psn_part_amt")] == \
        [d(posted[k]) for k in ("acct_pay", "acct_mulaid_pay", "psn_cash_pay", "psn_part_amt")]
    assert d(pre["psn_part_amt"]) == d(pre["acct_pay"]) + d(pre["acct_mulaid_pay"]) + d(pre["psn_cash_pay"])
