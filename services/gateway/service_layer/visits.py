"""Opening, describing and closing visits; uploading and deleting fee lines (2201-2205, 2401-2404, 2301/2302).

Each runs in one transaction that also records the request by msgid with its reply, so a repeated
msgid is answered from that record and changes nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from services.gateway.domain import amounts, codes
from services.gateway.domain.errors import InvalidInput, VisitStateConflict
from services.gateway.domain.line_split import split_line, split_refund
from services.gateway.domain.visit import CANCELLED, INPATIENT, OUTPATIENT, FeeLine, Visit, require
from services.gateway.service_layer.call import Call, region, text, when
from services.gateway.service_layer.deps import Deps
from services.gateway.service_layer.persons import check_credential, find_person


async def _open(deps: Deps, call: Call, *, kind: str, data: dict[str, Any], med_type_raw: str | None,
                serial: str, diagnoses: list[dict[str, Any]]) -> dict[str, Any]:
    psn_no = text(data, "psn_no", max_length=30)
    insutype = codes.insutype(data.get("insutype"), call.institution.region)
    codes.cert_type(data.get("mdtrt_cert_type"))
    await check_credential(deps, call, data, psn_no)
    person, coverage = await find_person(deps, psn_no)
    insured = str(call.envelope.get("insuplc_admdvs") or "") or coverage["insuplc_admdvs"]
    check_treatment_region(call)
    med_type = codes.med_type(med_type_raw, call.institution.region) if med_type_raw else None
    async with deps.database.transaction() as tx:
        store = deps.store_for(tx)
        visit = Visit(
            fixmedins_code=call.code, mdtrt_id=await store.new_mdtrt_id(), kind=kind, psn_no=psn_no, insutype=insutype,
            med_type=med_type, national_med_type=med_type_raw, begntime=when(data, "begntime"),
            insuplc_admdvs=region({"insuplc_admdvs": insured}, "insuplc_admdvs"),
            mdtrtarea_admvs=call.institution.region, mdtrt_cert_type=str(data.get("mdtrt_cert_type")),
            ipt_otp_no=serial, person=person, diagnoses=diagnoses,
            dise_codg=text(data, "dise_codg", required=False, max_length=30) or _main_diagnosis(diagnoses),
        )
        await store.save_visit(visit, new=True)
        output = ({"data": {"mdtrt_id": visit.mdtrt_id, "psn_no": psn_no, "ipt_otp_no": serial, "exp_content": None}}
                  if kind == OUTPATIENT else {"result": {"mdtrt_id": visit.mdtrt_id}})
        await store.save_message(call.code, call.msgid, call.infno, call.body_hash, reply=output, mdtrt_id=visit.mdtrt_id)
    return output


def check_treatment_region(call: Call) -> None:
    sent = str(call.envelope.get("mdtrtarea_admvs") or "")
    if sent != call.institution.region:
        raise InvalidInput(f"就医地医保区划 mdtrtarea_admvs {sent!r} is not the region {call.institution.region} "
                           f"registered for institution {call.code}")


def _diagnoses(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Diagnosis codes and order only: the doctors' names are not needed to settle."""
    return [{k: str(r.get(k) or "") for k in ("diag_type", "diag_srt_no", "diag_code", "diag_name", "maindiag_flag")}
            for r in rows]


def _main_diagnosis(diagnoses: list[dict[str, Any]]) -> str | None:
    main = [d for d in diagnoses if d.get("maindiag_flag") == "1"] or sorted(diagnoses, key=lambda d: d["diag_srt_no"])
    return main[0]["diag_code"] if main and main[0]["diag_code"] else None


async def register(deps: Deps, call: Call) -> dict[str, Any]:
    """2201: the platform issues mdtrt_id; the hospital's serial ipt_otp_no is echoed."""
    data = call.node("data")
    return await _open(deps, call, kind=OUTPATIENT, data=data, med_type_raw=None,
                       serial=text(data, "ipt_otp_no", max_length=30), diagnoses=[])


async def admit(deps: Deps, call: Call) -> dict[str, Any]:
    """2401: admission with its diagnoses; the platform issues mdtrt_id."""
    info = call.node("mdtrtinfo")
    diagnoses = _diagnoses(call.input.get("diseinfo") or [])
    raw = text(info, "med_type", max_length=6)
    if codes.med_type(raw, call.institution.region) not in codes.INPATIENT_MED_TYPES:
        raise InvalidInput(f"med_type {raw} is not an inpatient type (21 普通住院, 52 生育住院 or a sub-code)")
    info = {**info, "dise_codg": info.get("dise_codg") or info.get("dscg_maindiag_code")}
    return await _open(deps, call, kind=INPATIENT, data=info, med_type_raw=raw,
                       serial=text(info, "ipt_no", max_length=30), diagnoses=diagnoses)


async def _change(deps: Deps, call: Call, mdtrt_id: str, psn_no: str | None, change) -> Any:
    async with deps.database.transaction() as tx:
        store = deps.store_for(tx)
        visit = require(await store.visit(call.code, mdtrt_id), mdtrt_id)
        visit.check_person(psn_no)
        output = await change(store, visit)
        await store.save_message(call.code, call.msgid, call.infno, call.body_hash, reply=output if output is not None else {},
                                 mdtrt_id=mdtrt_id)
    return output


async def diagnose(deps: Deps, call: Call) -> None:
    """2203: the visit's medical type and diagnoses."""
    info = call.node("mdtrtinfo")
    raw = text(info, "med_type", max_length=6)
    med_type = codes.med_type(raw, call.institution.region)
    diagnoses = _diagnoses(call.input.get("diseinfo") or [])

    async def change(store, visit: Visit) -> None:
        visit.check_open()
        visit.med_type, visit.national_med_type, visit.diagnoses = med_type, raw, diagnoses or visit.diagnoses
        visit.dise_codg = text(info, "dise_codg", required=False, max_length=30) or _main_diagnosis(visit.diagnoses)
        await store.save_visit(visit)
        return None

    return await _change(deps, call, text(info, "mdtrt_id", max_length=30), text(info, "psn_no", max_length=30), change)


async def discharge(deps: Deps, call: Call) -> None:
    """2402: the discharge time (and diagnoses) of a stay."""
    info = call.node("dscginfo")
    diagnoses = _diagnoses(call.input.get("diseinfo") or [])

    async def change(store, visit: Visit) -> None:
        visit.check_open()
        if visit.kind != INPATIENT:
            raise InvalidInput(f"visit {visit.mdtrt_id} is an outpatient visit; 2402 discharges a stay")
        visit.endtime = when(info, "endtime")
        visit.diagnoses = diagnoses or visit.diagnoses
        visit.dise_codg = text(info, "dise_codg", required=False, max_length=30) or visit.dise_codg
        await store.save_visit(visit)
        return None

    return await _change(deps, call, text(info, "mdtrt_id", max_length=30), text(info, "psn_no", max_length=30), change)


async def cancel_visit(deps: Deps, call: Call) -> None:
    """2202 (registration) and 2404 (admission): only while nothing of the visit is settled."""
    data = call.node("data")

    async def change(store, visit: Visit) -> None:
        await close_visit(store, visit)
        return None

    return await _change(deps, call, text(data, "mdtrt_id", max_length=30), text(data, "psn_no", max_length=30), change)


async def close_visit(store, visit: Visit) -> None:
    visit.check_open()
    if any(line.claim_id for line in visit.lines.values()):
        raise VisitStateConflict(f"visit {visit.mdtrt_id} has a settlement; cancel it first (2208/2305)")
    visit.status = CANCELLED
    await store.save_visit(visit)


def _med_chrgitm_type(code: str) -> str:
    """医疗收费项目类别 from the national code's pattern: X 西药 09, Z 中成药 11, C 材料 08, else 其他 14."""
    return {"X": "09", "Z": "11", "C": "08"}.get(code[:1], "14")


def _line(row: dict[str, Any], batch: str) -> FeeLine:
    sn = text(row, "feedetl_sn", max_length=30)
    where = f"feedetail {sn}"
    code = text(row, "med_list_codg", max_length=50)
    return FeeLine(
        feedetl_sn=sn, chrg_bchno=batch, med_list_codg=code,
        medins_list_codg=text(row, "medins_list_codg", required=False, max_length=150) or code,
        cnt=amounts.decimal(row.get("cnt"), f"{where} cnt", places=4),
        pric=amounts.decimal(row.get("pric"), f"{where} pric", places=6),
        amount=amounts.fen(row.get("det_item_fee_sumamt"), f"{where} det_item_fee_sumamt"),
        fee_ocur_time=when(row, "fee_ocur_time", required=False),
        init_feedetl_sn=text(row, "init_feedetl_sn", required=False, max_length=30),
        bilg_dr_codg=text(row, "bilg_dr_codg", required=False, max_length=30),
        med_chrgitm_type=_med_chrgitm_type(code),
    )


def result_row(line: FeeLine) -> dict[str, Any]:
    s = line.split
    assert s is not None
    return {
        "feedetl_sn": line.feedetl_sn, "det_item_fee_sumamt": amounts.yuan(line.amount), "cnt": line.cnt,
        "pric": line.pric, "pric_uplmt_amt": Decimal(codes.NO_PRICE_CAP) if s.cap is None else amounts.yuan(s.cap),
        "selfpay_prop": s.selfpay_prop, "fulamt_ownpay_amt": amounts.yuan(s.fulamt_ownpay_amt),
        "overlmt_amt": amounts.yuan(s.overlmt_amt), "preselfpay_amt": amounts.yuan(s.preselfpay_amt),
        "inscp_scp_amt": amounts.yuan(s.inscp_scp_amt), "chrgitm_lv": codes.national_chrgitm_lv(s.chrgitm_lv),
        "med_chrgitm_type": line.med_chrgitm_type, "bas_medn_flag": "0", "hi_nego_drug_flag": "0",
        "chld_medc_flag": None, "list_sp_item_flag": None, "lmt_used_flag": "0", "drt_reim_flag": "0",
        "memo": None, "exp_content": None,
    }


async def upload(deps: Deps, call: Call) -> dict[str, Any]:
    """2204 / 2301: keep the lines and answer each with its split."""
    rows = call.rows("feedetail")
    mdtrt_ids = {str(r.get("mdtrt_id") or "") for r in rows}
    if len(mdtrt_ids) != 1:
        raise InvalidInput("all lines of one upload must name the same mdtrt_id")
    (mdtrt_id,) = mdtrt_ids
    if call.infno == "2204":
        batches = {str(r.get("chrg_bchno") or "") for r in rows}
        if len(batches) != 1 or "" in batches:
            raise InvalidInput("all lines of one 2204 upload must carry the same chrg_bchno 收费批次号")
        (batch,) = batches
    else:
        batch = "stay"
    lines = [_line(r, batch) for r in rows]

    async def change(store, visit: Visit) -> dict[str, Any]:
        wanted = OUTPATIENT if call.infno == "2204" else INPATIENT
        if visit.kind != wanted:
            raise InvalidInput(f"visit {visit.mdtrt_id} is {visit.kind}; upload its lines with "
                               f"{'2204' if visit.kind == OUTPATIENT else '2301'}")
        catalogue = deps.catalogues.for_region(visit.mdtrtarea_admvs)
        if catalogue is None:
            raise InvalidInput(f"no catalogue is loaded for treatment region {visit.mdtrtarea_admvs}")
        split: list[FeeLine] = []
        for line in lines:
            charge = visit.lines.get(line.init_feedetl_sn or "") if line.cnt < 0 else None
            if charge is not None and charge.split is not None:
                before = -sum((ln.cnt for ln in (*visit.lines.values(), *split)
                               if ln.init_feedetl_sn == charge.feedetl_sn and ln.feedetl_sn != line.feedetl_sn), Decimal(0))
                parts = split_refund(line.amount, line.cnt, charge.split, charge.cnt, before)
            else:
                parts = split_line(line.amount, line.cnt, catalogue.get(line.med_list_codg))
            split.append(FeeLine(**{**line.__dict__, "split": parts}))
        kept = visit.upload(split)
        await store.save_lines(visit, kept)
        return {"result": [result_row(line) for line in kept]}

    psn_nos = {str(r.get("psn_no") or "") for r in rows} - {""}
    return await _change(deps, call, mdtrt_id, next(iter(psn_nos), None), change)


async def delete_lines(deps: Deps, call: Call) -> None:
    """2205 deletes a batch's unsettled lines; 2302 the named line (or all unsettled: feedetl_sn empty or 0000)."""
    data = call.node("data")
    batch = text(data, "chrg_bchno", required=False, max_length=30) if call.infno == "2205" else None
    sn = text(data, "feedetl_sn", required=False, max_length=30)
    if call.infno == "2205" and batch is None:
        raise InvalidInput("chrg_bchno 必填 (is required): 2205 deletes one charge batch")

    async def change(store, visit: Visit) -> None:
        gone = visit.delete(batch, [sn] if sn and sn != "0000" else None)
        await store.delete_lines(visit, gone)
        return None

    return await _change(deps, call, text(data, "mdtrt_id", max_length=30), text(data, "psn_no", max_length=30), change)
