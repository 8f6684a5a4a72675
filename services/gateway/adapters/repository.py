"""The gateway's Postgres store: sign-ins, nonces, messages, visits with lines, settlements, e-vouchers.

Institutions and their sealed app secrets are in credentials.py."""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import orjson

from services.gateway.domain.e_voucher import EVoucher
from services.gateway.domain.line_split import LineSplit
from services.gateway.domain.visit import FeeLine, Person, Visit


@dataclass(frozen=True)
class StoredMessage:
    infno: str
    body_hash: str
    reply: dict[str, Any] | None
    mdtrt_id: str | None
    claim_id: str | None


def _dumps(value: Any) -> str:
    """Replies: a Decimal becomes a JSON number (its shortest float repr is exact for these 2-6 decimals)."""
    return orjson.dumps(value, default=_as_number).decode()


def _exact(value: Any) -> str:
    """Fee lines: counts and prices kept as exact decimal strings."""
    return orjson.dumps(value, default=_as_text).decode()


def _as_number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(type(value))


def _as_text(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value))


class PgGatewayStore:
    def __init__(self, conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy) -> None:
        self.conn = conn

    # -- access ---------------------------------------------------------------------------------

    async def remember_nonce(self, app_id: str, nonce: str, window: timedelta) -> bool:
        """False if the nonce was seen within the window (a replay)."""
        inserted = await self.conn.fetchval(
            "INSERT INTO nonces (app_id, nonce) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING true", app_id, nonce)
        return bool(inserted)

    async def purge_nonces(self, older_than: datetime) -> int:
        result = await self.conn.execute("DELETE FROM nonces WHERE seen_at < $1", older_than)
        return int(result.split()[-1])

    async def sign_in(self, code: str, opter: str) -> tuple[str, datetime]:
        sign_no = secrets.token_hex(10)
        at = await self.conn.fetchval(
            "INSERT INTO sign_ins (sign_no, fixmedins_code, opter) VALUES ($1,$2,$3) RETURNING signed_at",
            sign_no, code, opter)
        return sign_no, at

    async def signed_in(self, code: str, sign_no: str, since: datetime) -> bool:
        return bool(await self.conn.fetchval(
            "SELECT true FROM sign_ins WHERE sign_no = $1 AND fixmedins_code = $2 AND signed_at >= $3",
            sign_no, code, since))

    # -- messages ---------------------------------------------------------------------------------

    async def message(self, code: str, msgid: str, *, for_update: bool = False) -> StoredMessage | None:
        row = await self.conn.fetchrow(
            "SELECT infno, body_hash, reply, mdtrt_id, claim_id FROM messages WHERE fixmedins_code = $1 AND msgid = $2"
            + (" FOR UPDATE" if for_update else ""), code, msgid)
        if row is None:
            return None
        return StoredMessage(row["infno"], row["body_hash"], orjson.loads(row["reply"]) if row["reply"] else None,
                             row["mdtrt_id"], row["claim_id"])

    async def save_message(self, code: str, msgid: str, infno: str, body_hash: str, *, reply: dict[str, Any] | None,
                           mdtrt_id: str | None = None, claim_id: str | None = None) -> None:
        await self.conn.execute(
            "INSERT INTO messages (fixmedins_code, msgid, infno, body_hash, reply, mdtrt_id, claim_id)"
            " VALUES ($1,$2,$3,$4,$5::jsonb,$6,$7) ON CONFLICT (fixmedins_code, msgid) DO UPDATE"
            " SET reply = COALESCE(EXCLUDED.reply, messages.reply),"
            " claim_id = COALESCE(EXCLUDED.claim_id, messages.claim_id)",
            code, msgid, infno, body_hash, _dumps(reply) if reply is not None else None, mdtrt_id, claim_id)

    # -- visits -----------------------------------------------------------------------------------

    async def new_mdtrt_id(self) -> str:
        return str(await self.conn.fetchval("SELECT nextval('mdtrt_ids')"))

    async def visit(self, code: str, mdtrt_id: str, *, for_update: bool = True) -> Visit | None:
        row = await self.conn.fetchrow(
            "SELECT data FROM visits WHERE fixmedins_code = $1 AND mdtrt_id = $2" + (" FOR UPDATE" if for_update else ""),
            code, mdtrt_id)
        if row is None:
            return None
        lines = await self.conn.fetch(
            "SELECT data, claim_id FROM fee_lines WHERE fixmedins_code = $1 AND mdtrt_id = $2 ORDER BY seq",
            code, mdtrt_id)
        return _visit(orjson.loads(row["data"]), [(orjson.loads(r["data"]), r["claim_id"]) for r in lines])

    async def save_visit(self, visit: Visit, *, new: bool = False) -> None:
        data = {k: v for k, v in asdict(visit).items() if k != "lines"}
        if new:
            await self.conn.execute(
                "INSERT INTO visits (fixmedins_code, mdtrt_id, data, status, psn_no) VALUES ($1,$2,$3::jsonb,$4,$5)",
                visit.fixmedins_code, visit.mdtrt_id, _dumps(data), visit.status, visit.psn_no)
        else:
            await self.conn.execute(
                "UPDATE visits SET data = $3::jsonb, status = $4 WHERE fixmedins_code = $1 AND mdtrt_id = $2",
                visit.fixmedins_code, visit.mdtrt_id, _dumps(data), visit.status)

    async def save_lines(self, visit: Visit, lines: list[FeeLine]) -> None:
        await self.conn.executemany(
            "INSERT INTO fee_lines (fixmedins_code, mdtrt_id, feedetl_sn, chrg_bchno, data, claim_id)"
            " VALUES ($1,$2,$3,$4,$5::jsonb,$6) ON CONFLICT (fixmedins_code, mdtrt_id, feedetl_sn)"
            " DO UPDATE SET chrg_bchno = $4, data = $5::jsonb, claim_id = $6",
            [(visit.fixmedins_code, visit.mdtrt_id, ln.feedetl_sn, ln.chrg_bchno, _exact(asdict(ln)), ln.claim_id)
             for ln in lines])

    async def delete_lines(self, visit: Visit, feedetl_sns: list[str]) -> None:
        await self.conn.execute(
            "DELETE FROM fee_lines WHERE fixmedins_code = $1 AND mdtrt_id = $2 AND feedetl_sn = ANY($3::text[])",
            visit.fixmedins_code, visit.mdtrt_id, feedetl_sns)

    async def mark_lines(self, visit: Visit, feedetl_sns: list[str], claim_id: str | None) -> None:
        await self.conn.execute(
            "UPDATE fee_lines SET claim_id = $4 WHERE fixmedins_code = $1 AND mdtrt_id = $2"
            " AND feedetl_sn = ANY($3::text[])", visit.fixmedins_code, visit.mdtrt_id, feedetl_sns, claim_id)

    # -- settlements ------------------------------------------------------------------------------

    async def settlement(self, claim_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
        row = await self.conn.fetchrow("SELECT * FROM settlements WHERE claim_id = $1"
                                       + (" FOR UPDATE" if for_update else ""), claim_id)
        return _settlement(row)

    async def settlement_by_setl_id(self, code: str, setl_id: str) -> dict[str, Any] | None:
        row = await self.conn.fetchrow("SELECT * FROM settlements WHERE fixmedins_code = $1 AND setl_id = $2 FOR UPDATE",
                                       code, setl_id)
        return _settlement(row)

    async def start_settlement(self, claim_id: str, code: str, mdtrt_id: str, chrg_bchno: str | None, msgid: str,
                               infno: str, claim: str) -> None:
        """Record a settlement being asked for; a refused one may be asked for again (a new body)."""
        await self.conn.execute(
            "INSERT INTO settlements (claim_id, fixmedins_code, mdtrt_id, chrg_bchno, msgid, infno, status, claim)"
            " VALUES ($1,$2,$3,$4,$5,$6,'settling',$7::jsonb) ON CONFLICT (claim_id) DO UPDATE"
            " SET status = 'settling', claim = EXCLUDED.claim WHERE settlements.status = 'rejected'",
            claim_id, code, mdtrt_id, chrg_bchno, msgid, infno, claim)

    async def finish_settlement(self, claim_id: str, status: str, *, setl_id: str | None = None,
                                setlinfo: dict[str, Any] | None = None, med_type: str | None = None,
                                insutype: str | None = None, setl_time: datetime | None = None,
                                cancel_time: datetime | None = None) -> None:
        await self.conn.execute(
            "UPDATE settlements SET status = $2, setl_id = COALESCE($3, setl_id),"
            " setlinfo = COALESCE($4::jsonb, setlinfo), med_type = COALESCE($5, med_type),"
            " insutype = COALESCE($6, insutype), setl_time = COALESCE($7, setl_time),"
            " cancel_time = COALESCE($8, cancel_time), updated_at = now() WHERE claim_id = $1",
            claim_id, status, setl_id, _dumps(setlinfo) if setlinfo is not None else None, med_type, insutype,
            setl_time, cancel_time)

    async def settlements_between(self, code: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
        rows = await self.conn.fetch(
            "SELECT * FROM settlements WHERE fixmedins_code = $1 AND status IN ('settled', 'cancelled')"
            " AND ((setl_time >= $2 AND setl_time < $3) OR (cancel_time >= $2 AND cancel_time < $3))"
            " ORDER BY setl_time", code, start, end)
        return [s for s in (_settlement(r) for r in rows) if s is not None]

    # -- reconciliation: files (9101/9102) and the period's entries (3201/3202) --------------------

    async def save_file(self, code: str, file_qury_no: str, kind: str, filename: str, content: bytes,
                        expires_at: datetime) -> None:
        await self.conn.execute(
            "INSERT INTO files (file_qury_no, fixmedins_code, kind, filename, content, size, expires_at)"
            " VALUES ($1,$2,$3,$4,$5,$6,$7)", file_qury_no, code, kind, filename, content, len(content), expires_at)

    async def file(self, code: str, file_qury_no: str, now: datetime) -> StoredFile | None:
        """The institution's own file, not expired; None for another institution's, as for no file."""
        row = await self.conn.fetchrow(
            "SELECT file_qury_no, kind, filename, content, expires_at FROM files"
            " WHERE file_qury_no = $1 AND fixmedins_code = $2 AND expires_at > $3", file_qury_no, code, now)
        return StoredFile(**dict(row)) if row else None

    async def purge_files(self, now: datetime) -> int:
        result = await self.conn.execute("DELETE FROM files WHERE expires_at <= $1", now)
        return int(result.split()[-1])

    async def statement_entries(self, code: str, start: datetime, end: datetime, limit: int) -> list[asyncpg.Record]:
        """The settlements posted or cancelled in [start, end), at most `limit`, with the msgid of each
        cancellation."""
        return list(await self.conn.fetch(STATEMENT_ENTRIES, code, start, end, limit))


    # -- e-vouchers (mdtrt_cert_type 01) ----------------------------------------------------------

    async def save_e_voucher(self, token_hash: str, psn_no: str, expires_at: datetime) -> None:
        await self.conn.execute("INSERT INTO e_vouchers (token_hash, psn_no, expires_at) VALUES ($1, $2, $3)",
                                token_hash, psn_no, expires_at)

    async def present_e_voucher(self, token_hash: str, code: str) -> EVoucher | None:
        """The voucher of this token hash; the first institution to present it becomes its holder."""
        row = await self.conn.fetchrow(
            "UPDATE e_vouchers SET fixmedins_code = COALESCE(fixmedins_code, $2) WHERE token_hash = $1"
            " RETURNING psn_no, expires_at, fixmedins_code", token_hash, code)
        return EVoucher(row["psn_no"], row["expires_at"], row["fixmedins_code"]) if row else None

    async def purge_e_vouchers(self, expired_before: datetime) -> int:
        result = await self.conn.execute("DELETE FROM e_vouchers WHERE expires_at < $1", expired_before)
        return int(result.split()[-1])

def _settlement(row: asyncpg.Record | None) -> dict[str, Any] | None:
    if row is None:
        return None
    out = dict(row)
    out["setlinfo"] = orjson.loads(row["setlinfo"]) if row["setlinfo"] else None
    out["claim"] = orjson.loads(row["claim"]) if row["claim"] else None
    return out


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _line(data: dict[str, Any], claim_id: str | None) -> FeeLine:
    split = data.get("split")
    return FeeLine(
        feedetl_sn=data["feedetl_sn"], chrg_bchno=data["chrg_bchno"], med_list_codg=data["med_list_codg"],
        medins_list_codg=data["medins_list_codg"], cnt=Decimal(data["cnt"]), pric=Decimal(data["pric"]),
        amount=int(data["amount"]), fee_ocur_time=_time(data.get("fee_ocur_time")),
        init_feedetl_sn=data.get("init_feedetl_sn"), bilg_dr_codg=data.get("bilg_dr_codg"),
        med_chrgitm_type=data.get("med_chrgitm_type"),
        split=LineSplit(split["chrgitm_lv"], Decimal(split["selfpay_prop"]), split["cap"],
                        split["fulamt_ownpay_amt"], split["overlmt_amt"], split["preselfpay_amt"],
                        split["inscp_scp_amt"]) if split else None,
        claim_id=claim_id,
    )


def _visit(data: dict[str, Any], lines: list[tuple[dict[str, Any], str | None]]) -> Visit:
    visit = Visit(
        fixmedins_code=data["fixmedins_code"], mdtrt_id=data["mdtrt_id"], kind=data["kind"], psn_no=data["psn_no"],
        insutype=data["insutype"], med_type=data.get("med_type"), begntime=datetime.fromisoformat(data["begntime"]),
        insuplc_admdvs=data["insuplc_admdvs"], mdtrtarea_admvs=data["mdtrtarea_admvs"],
        mdtrt_cert_type=data["mdtrt_cert_type"], ipt_otp_no=data["ipt_otp_no"], person=Person(**data["person"]),
        status=data["status"], endtime=_time(data.get("endtime")), dise_codg=data.get("dise_codg"),
        diagnoses=data.get("diagnoses") or [], generation=data.get("generation", 0),
        national_med_type=data.get("national_med_type"),
    )
    for line_data, claim_id in lines:
        line = _line(line_data, claim_id)
        visit.lines[line.feedetl_sn] = line
    return visit


# -- reconciliation ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class StoredFile:
    file_qury_no: str
    kind: str  # 'upload' (9101) or 'result' (3202)
    filename: str
    content: bytes
    expires_at: datetime


STATEMENT_ENTRIES = """
SELECT s.setl_id, s.mdtrt_id, s.msgid, s.setl_time, s.cancel_time, s.insutype,
       s.setlinfo->'setlinfo'->>'psn_no' AS psn_no, s.setlinfo->'setlinfo'->>'clr_type' AS clr_type,
       (s.setlinfo->'setlinfo'->>'medfee_sumamt')::bigint AS medfee_sumamt,
       (s.setlinfo->'setlinfo'->>'fund_pay_sumamt')::bigint AS fund_pay_sumamt,
       (s.setlinfo->'setlinfo'->>'acct_pay')::bigint AS acct_pay,
       (s.setlinfo->'setlinfo'->>'psn_cash_pay')::bigint AS psn_cash_pay,
       c.msgid AS cancel_msgid
  FROM settlements s
  LEFT JOIN LATERAL (SELECT m.msgid FROM messages m
                      WHERE m.fixmedins_code = s.fixmedins_code AND m.claim_id = s.claim_id
                        AND m.infno IN ('2208', '2305', '2601')
                      ORDER BY m.received_seq DESC LIMIT 1) c ON s.cancel_time IS NOT NULL
 WHERE s.fixmedins_code = $1 AND s.status IN ('settled', 'cancelling', 'cancelled')
   AND ((s.setl_time >= $2 AND s.setl_time < $3) OR (s.cancel_time >= $2 AND s.cancel_time < $3))
 ORDER BY s.setl_time, s.setl_id
 LIMIT $4"""
