"""A HIS's side of the national interface over HTTP: sign each request, post the envelope, read the reply.

    async with NationalClient(url, code, app_id, secret, region=...) as his:
        await his.sign_in("0007")
        reply = await his.call("1101", {"data": {...}})

Every request gets a new msgid (`fixmedins_code` + yyyyMMddHHmmss + a 4-digit sequence, at most 30
characters) unless one is given (a retry sends the same msgid again, signed anew).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import time
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx

from services.gateway.domain.signing import SHA256, signature

PATH = "/fsi/api/rsfComIfsService/callService"
_SEQ = itertools.count(random.randrange(10_000))  # shared by every client of the process


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(type(value))


class NationalClient:
    def __init__(self, base_url: str, fixmedins_code: str, app_id: str, app_secret: str, *, region: str,
                 name: str = "医院", method: str = SHA256, timeout_s: float = 30.0) -> None:
        self.base_url, self.code, self.app_id, self.secret = base_url.rstrip("/"), fixmedins_code, app_id, app_secret
        self.region, self.name, self.method = region, name, method
        self.sign_no = ""
        self._http = httpx.AsyncClient(timeout=timeout_s)

    async def __aenter__(self) -> NationalClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._http.aclose()

    def new_msgid(self) -> str:
        stamp = f"{datetime.now():%Y%m%d%H%M%S}{next(_SEQ) % 10_000:04d}"
        prefix = self.code if len(self.code) <= 12 else hashlib.sha1(self.code.encode()).hexdigest()[:12]
        return (prefix + stamp)[:30]

    def envelope(self, infno: str, input_: dict[str, Any], *, msgid: str | None = None,
                 insuplc_admdvs: str = "") -> dict[str, Any]:
        return {
            "infno": infno, "msgid": msgid or self.new_msgid(), "mdtrtarea_admvs": self.region,
            "insuplc_admdvs": insuplc_admdvs, "recer_sys_code": "HIS", "dev_no": "", "dev_safe_info": "",
            "cainfo": "", "signtype": "", "infver": "V1.0", "opter_type": "1", "opter": "0007", "opter_name": "收费员",
            "inf_time": f"{datetime.now():%Y-%m-%d %H:%M:%S}", "fixmedins_code": self.code,
            "fixmedins_name": self.name, "sign_no": self.sign_no, "input": input_,
        }

    def headers(self, body: bytes, *, timestamp: str | None = None, nonce: str | None = None) -> dict[str, str]:
        ts, nonce = timestamp or str(int(time.time())), nonce or uuid.uuid4().hex
        return {"content-type": "application/json; charset=UTF-8", "x-ca-key": self.app_id, "x-ca-timestamp": ts,
                "x-ca-nonce": nonce, "x-ca-signature-method": self.method,
                "x-ca-signature": signature(self.secret, ts, nonce, body, self.method)}

    async def post(self, body: bytes, headers: dict[str, str], path: str = PATH) -> httpx.Response:
        return await self._http.post(self.base_url + path, content=body, headers=headers)

    async def send(self, envelope: dict[str, Any], path: str = PATH) -> dict[str, Any]:
        body = json.dumps(envelope, ensure_ascii=False, default=_default).encode()
        response = await self.post(body, self.headers(body), path)
        reply: dict[str, Any] = json.loads(response.content, parse_float=Decimal)
        return reply

    async def call(self, infno: str, input_: dict[str, Any], *, msgid: str | None = None,
                   insuplc_admdvs: str = "") -> dict[str, Any]:
        return await self.send(self.envelope(infno, input_, msgid=msgid, insuplc_admdvs=insuplc_admdvs))

    async def sign_in(self, opter: str = "0007") -> str:
        reply = await self.call("9001", {"signIn": {"opter_no": opter, "mac": "", "ip": ""}})
        if reply.get("infcode") != 0:
            raise RuntimeError(f"9001 refused: {reply.get('err_msg')}")
        self.sign_no = reply["output"]["signinoutb"]["sign_no"]
        return self.sign_no
