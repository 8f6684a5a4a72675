"""The national interface over HTTP: one POST per transaction, answered in the same response.

Paths: the common endpoint routed by `infno` (`/fsi/api/rsfComIfsService/callService`, and Hebei's
`/ebus/rio_fsi`), plus per-transaction paths (`/fsi/api/<service>/<method>`) from a configurable
table, which refuse an `infno` that is not theirs. Order of checks: signature and freshness, nonce,
envelope, institution, the session and the msgid (one access transaction), then the rate (a statement of
its own, on the bucket every gateway process shares); then the transaction. Access refusals are answered
in the short shape with an HTTP status (429 and 503 with a Retry-After); business answers are HTTP 200
with the reply envelope.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import asyncpg
import orjson
import structlog
from fastapi import FastAPI, Request
from fastapi.responses import Response

from libs.china_time import CHINA_TIME
from libs.messaging.consumer import TRANSIENT_ERRORS
from libs.messaging.postgres import PgDatabase
from libs.observability.metrics import observe_his_call
from libs.pii import Sealer
from services.gateway.adapters.credentials import Institution, PgCredentials
from services.gateway.adapters.repository import PgGatewayStore
from services.gateway.domain.errors import (
    AccessRefused,
    BadSignature,
    BodyTooLarge,
    NoReplyInTime,
    Refusal,
    Replayed,
    Unavailable,
    WrongInstitution,
)
from services.gateway.domain.rate_limit import RatePolicy
from services.gateway.domain.signing import SignedRequest
from services.gateway.entrypoints import e_vouchers
from services.gateway.service_layer.call import Call
from services.gateway.service_layer.files import Download
from services.gateway.service_layer.ports import RateBuckets
from services.gateway.service_layer.service import Answered, GatewayService, base_infno

log = structlog.get_logger("gateway.http")
COMMON_PATHS = ("/fsi/api/rsfComIfsService/callService", "/ebus/rio_fsi")
# Per-transaction paths seen in provincial deployments; extend with GATEWAY_PATH_ALIASES (JSON).
DEFAULT_ALIASES = {
    "/fsi/api/signInSignOutService/signIn": "9001",
    "/fsi/api/fsiPsnInfoService/queryPsnInfo": "1101",
    "/fsi/api/outpatientDocInfoService/outpatientRregistration": "2201",
    "/fsi/api/outpatientDocInfoService/outpatientMdtrtinfoUp": "2203",
    "/fsi/api/outpatientDocInfoService/outpatientFeeListUp": "2204",
    "/fsi/api/outpatientSettleService/preSettletA": "2206",
    "/fsi/api/outpatientSettleService/saveSettletA": "2207",
    "/fsi/api/outpatientSettleService/cancleSettletA": "2208",
    "/fsi/api/fileupload/upload": "9101",
    "/fsi/api/fileupload/download": "9102",
}
_SEQ = itertools.count(1)
# The access transaction or the bucket could not reach the database (down, restarting, out of connections):
# 503. They do no other I/O, so any socket error or time-out there is the database's.
UNREACHABLE = TRANSIENT_ERRORS
# The transaction proper lost it: the database's own errors only (a time-out there may be an outcome's).
DATABASE_LOST: tuple[type[Exception], ...] = (
    ConnectionError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError, asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError, asyncpg.exceptions.AdminShutdownError, asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.IdleSessionTimeoutError)
UNAVAILABLE_RETRY_S = 5


def _number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)  # two to six decimals: the shortest repr of the float is the decimal itself
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    raise TypeError(type(value))


def _json(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body, default=_number), status_code=status, headers=headers,
                    media_type="application/json; charset=UTF-8")


def _file(download: Download) -> Response:
    """9102's answer as national centres send it: the file's bytes, not a reply envelope."""
    name = quote(download.filename, safe="")
    return Response(download.content, media_type="application/octet-stream",
                    headers={"Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{name}"})


async def _body(request: Request, limit: int) -> bytes:
    """The request's bytes, refused past `limit` (announced or streamed) before more is read."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"the body has {declared} bytes, more than the {limit} accepted")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"the body is larger than the {limit} bytes accepted")
        chunks.append(chunk)
    return b"".join(chunks)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%d%H%M%S%f")[:17]


def reply(region: str, received: datetime, *, output: Any = None, err_msg: str | None = None) -> dict[str, Any]:
    now = datetime.now(CHINA_TIME)
    ref = f"{region[:6] or '000000'}{now:%Y%m%d%H%M%S}{os.getpid() % 1000:03d}{next(_SEQ) % 10_000_000:07d}"
    return {"infcode": 0 if err_msg is None else -1, "inf_refmsgid": ref, "refmsg_time": _stamp(received),
            "respond_time": _stamp(now), "err_msg": err_msg, "warn_msg": None, "cainfo": None, "signtype": None,
            "enctype": None, "output": output if err_msg is None else None}


@dataclass(frozen=True)
class Admitted:
    """What the access transaction let through: the institution, and the call to run, or its first answer
    (`seen`, a msgid sent before), or the business refusal to answer (`early`)."""

    institution: Institution
    call: Call | None
    seen: Answered | None = None
    early: Refusal | None = None


class Gateway:
    def __init__(self, service: GatewayService, database: PgDatabase, *, window_s: float, rate: RatePolicy,
                 buckets: RateBuckets, sealer: Sealer, aliases: dict[str, str] | None = None,
                 credentials_ttl_s: float = 10.0, max_body: int = 24 << 20) -> None:
        self.service, self.database, self.window_s = service, database, window_s
        self.rate, self.buckets = rate, buckets  # the buckets every gateway process shares (a test's fake otherwise)
        self.max_body = max_body
        self.sealer = sealer  # opens the institutions' app secrets, sealed at rest (adapters/credentials.py)
        self.aliases = {**DEFAULT_ALIASES, **(aliases or {})}
        self._ttl = credentials_ttl_s
        self._institutions: dict[str, tuple[Institution | None, float]] = {}  # app id -> (found, until)

    async def _institution(self, store: PgCredentials, app_id: str) -> Institution | None:
        """Credentials cached for a few seconds (a rotated secret stops working within that time)."""
        found, until = self._institutions.get(app_id, (None, 0.0))
        if until < time.monotonic():
            found = await store.institution_by_app_id(app_id)
            if len(self._institutions) > 10_000:
                self._institutions.clear()
            self._institutions[app_id] = (found, time.monotonic() + self._ttl)
        return found

    async def handle(self, request: Request, path_infno: str | None) -> Response:
        received = datetime.now(CHINA_TIME)
        try:
            body = await _body(request, self.max_body)
            signed = SignedRequest.from_headers(request.headers)
            signed.check_fresh(time.time(), self.window_s)
            try:
                envelope = json.loads(body, parse_float=Decimal)
            except ValueError:
                envelope = None
            try:
                admitted = await self._admit(signed, body, envelope, path_infno, request.url.path)
                if isinstance(admitted, Admitted):  # after the access transaction: a signed, fresh request
                    code = admitted.institution.fixmedins_code
                    self.rate.check(code, await self.buckets.take(code, self.rate))
            except UNREACHABLE as exc:
                log.warning("database_unreachable", error=type(exc).__name__, path=request.url.path, step="access")
                raise Unavailable("the gateway cannot reach its database just now: this request was not handled; "
                                  f"send it again (signed again) in {UNAVAILABLE_RETRY_S} s",
                                  retry_after_s=UNAVAILABLE_RETRY_S) from None
        except AccessRefused as refused:
            return self._refused(refused, path_infno, request.url.path)
        if isinstance(admitted, Response):
            return admitted
        institution, call, seen = admitted.institution, admitted.call, admitted.seen
        try:
            if admitted.early is not None:
                raise admitted.early
            assert call is not None
            output = seen.output if seen is not None else await self.service.handle(call)
            if isinstance(output, Download):
                log.info("downloaded", infno=call.infno, msgid=call.msgid, fixmedins_code=institution.fixmedins_code,
                         size=len(output.content))
                return _file(output)
            answer = reply(institution.region, received, output=output)
        except Refusal as refused:
            answer = reply(institution.region, received, err_msg=refused.message)
            log.info("refused", infno=envelope.get("infno"), msgid=envelope.get("msgid"),
                     fixmedins_code=institution.fixmedins_code, code=refused.code, err_msg=refused.message)
            observe_his_call(infno_label(envelope.get("infno")), -1, refused.code, isinstance(refused, NoReplyInTime))
        except DATABASE_LOST as exc:
            log.warning("database_unreachable", error=type(exc).__name__, path=request.url.path, step="transaction",
                        infno=envelope.get("infno"), msgid=envelope.get("msgid"))
            return self._refused(Unavailable(
                "the gateway lost its database while handling this request: send it again (signed again, the same "
                f"msgid) in {UNAVAILABLE_RETRY_S} s; a repeat is answered once, never done twice",
                retry_after_s=UNAVAILABLE_RETRY_S), path_infno, request.url.path)
        else:
            observe_his_call(call.infno, 0)
            log.info("answered", infno=call.infno, msgid=call.msgid, fixmedins_code=institution.fixmedins_code,
                     repeat=seen is not None, ms=round((datetime.now(CHINA_TIME) - received).total_seconds() * 1000, 1))
        return _json(answer)

    async def _admit(self, signed: SignedRequest, body: bytes, envelope: Any, path_infno: str | None,
                     path: str) -> Admitted | Response:
        """One transaction for everything before the transaction proper: credentials, nonce, session, msgid.
        An access refusal raised in it rolls it back; a business refusal commits it (the nonce stays used) and
        is answered after."""
        async with self.database.transaction() as tx:
            store = PgGatewayStore(tx.conn)
            institution = await self._institution(PgCredentials(tx.conn, self.sealer), signed.app_id)
            if institution is None:
                raise BadSignature(f"x-ca-key {signed.app_id!r} is not a registered app id")
            signed.check_signature(institution.app_secret, body)
            if not await store.remember_nonce(signed.app_id, signed.nonce, timedelta(seconds=self.window_s)):
                raise Replayed("x-ca-nonce was already used: every request needs a new nonce "
                               "(a resent request is signed again)")
            if not isinstance(envelope, dict):
                return _json({"type": "error", "infcode": -1,
                              "err_msg": "the body must be a JSON object (the envelope), UTF-8"}, 400)
            if str(envelope.get("fixmedins_code") or "") != institution.fixmedins_code:
                raise WrongInstitution(f"fixmedins_code {envelope.get('fixmedins_code')!r} is not the institution "
                                       f"of these credentials ({institution.fixmedins_code})")
            try:
                call = self._call(envelope, institution, path_infno, path)
                admitted = Admitted(institution, call, await self.service.admit(store, call))
            except Refusal as refused:
                admitted = Admitted(institution, None, None, refused)
        return admitted

    @staticmethod
    def _refused(refused: AccessRefused, path_infno: str | None, path: str) -> Response:
        log.info("access_refused", code=refused.code, reason=refused.message, path=path)
        observe_his_call(infno_label(path_infno), -1, refused.code)
        retry = {"Retry-After": str(refused.retry_after_s)} if refused.retry_after_s is not None else None
        return _json({"type": "error", "infcode": -1, "err_msg": refused.message}, refused.status, retry)

    def _call(self, envelope: dict[str, Any], institution: Institution, path_infno: str | None, path: str) -> Call:
        infno = base_infno(envelope.get("infno"))
        if path_infno is not None and path_infno != infno:
            raise Refusal(f"infno {envelope.get('infno')} does not belong to {path} (its transaction is {path_infno})")
        msgid = str(envelope.get("msgid") or "").strip()
        if not msgid or len(msgid) > 30:
            raise Refusal("发送方报文ID msgid 必填, at most 30 characters, unique per request")
        return Call(infno, msgid, envelope, institution, hashlib.sha256(body_identity(envelope)).hexdigest())


def infno_label(infno: object) -> str:
    """The transaction as a metric's label: a published one, else `other` (a hospital's bytes must not
    make new series)."""
    try:
        return base_infno(infno)
    except Refusal:
        return "other"


def body_identity(envelope: dict[str, Any]) -> bytes:
    """What makes two requests the same: the transaction and its input, not the send time or session."""
    return orjson.dumps({"infno": envelope.get("infno"), "input": envelope.get("input")}, default=str,
                        option=orjson.OPT_SORT_KEYS)


def create_app(gateway: Gateway, runtime: Any = None) -> FastAPI:
    app = FastAPI(title="Hospital gateway (national interface 定点医药机构接口)", version="1",
                  description="POST the national request envelope; see docs/hospital-integration.md.")

    for path in COMMON_PATHS:
        app.add_api_route(path, _common(gateway), methods=["POST"], name=path)

    @app.post("/fsi/api/{service}/{method}")
    async def per_transaction(service: str, method: str, request: Request) -> Response:
        path = f"/fsi/api/{service}/{method}"
        if path not in gateway.aliases:
            return _json({"type": "error", "infcode": -1, "err_msg": f"no transaction is published at {path}"}, 404)
        return await gateway.handle(request, gateway.aliases[path])

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    # The platform-token API (the holders' e-vouchers; with the runtime, the gateway's dead letters): its own
    # hardened app, entrypoints/e_vouchers.py.
    e_vouchers.mount(app, gateway.service.deps, runtime)
    return app


def _common(gateway: Gateway):
    async def endpoint(request: Request) -> Response:
        return await gateway.handle(request, None)

    return endpoint
