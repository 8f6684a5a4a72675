"""The gateway's platform-token API: a holder's app asks for an e-voucher (医保电子凭证) to show as a QR code,
and operators work the gateway's dead letters (libs/messaging/dead_letter_api.py) as on every service.

The national interface authenticates hospitals by their signed calls (http.py); this API takes the
platform's bearer tokens instead, so it is an app of its own, hardened like every service's
(libs/http.harden: role table, audit log, body limit), served on the gateway's port for the `/v1/`
paths only, so the audit log never sits on a hospital's call. Who may call it is `ACCESS`
(docs/security.md) and, for the dead letters, their own table, mounted after it as the other services do.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Depends, FastAPI
from pydantic import BaseModel, ConfigDict, Field
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

from libs.audit.store import store_for
from libs.auth import Principal, Role, RouteTable, ensure_owner
from libs.http import harden
from libs.messaging.dead_letter_api import mount_dead_letters
from services.gateway.service_layer import e_vouchers
from services.gateway.service_layer.deps import Deps

ACCESS = RouteTable.of("gateway", {
    "POST /v1/e-vouchers": {Role.holder},  # for their own account only
})


class EVoucherRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    psn_no: str | None = Field(default=None, max_length=30,
                               description="人员编号: the holder's own (the default); another person's is refused.")


class EVoucherIssued(BaseModel):
    ec_token: str = Field(description="The token to show as a QR code; the counter sends it as mdtrt_cert_no "
                                      "with mdtrt_cert_type 01. Shown once: the platform keeps only its hash.")
    psn_no: str = Field(description="人员编号 it stands for.")
    expires_at: datetime = Field(description="After this moment the counter is refused; ask for a new one.")
    valid_s: int = Field(description="Seconds it is valid from now.")


def create_api(deps: Deps, runtime: Any = None) -> FastAPI:
    app = FastAPI(title="Hospital gateway: e-vouchers", version="1",
                  description="A holder's e-voucher (mdtrt_cert_type 01); see docs/hospital-integration.md.")

    @app.post("/v1/e-vouchers", response_model=EVoucherIssued, status_code=201)
    async def issue(body: EVoucherRequest | None = None,
                    who: Principal = Depends(ACCESS.dependency("POST /v1/e-vouchers"))) -> EVoucherIssued:
        psn_no = (body.psn_no if body else None) or who.psn_no
        ensure_owner(who, psn_no=psn_no)
        assert psn_no is not None  # a holder's credential always names their psn_no
        issued = await e_vouchers.issue(deps, psn_no)
        return EVoucherIssued(ec_token=issued.ec_token, psn_no=issued.psn_no, expires_at=issued.expires_at,
                              valid_s=int(deps.e_voucher_ttl_s))

    hardened = harden(app, ACCESS, store_for(deps.database))
    return hardened if runtime is None else mount_dead_letters(hardened, runtime)


PREFIX = "/v1/"  # the platform-token API's paths; the national interface's are /fsi/..., /ebus/...


class OwnPaths(BaseRoute):
    """Hands the requests under `PREFIX` to `app` unchanged (its own middleware and guards); a route of
    the national app, so the national paths and anything mounted later keep working."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and scope["path"].startswith(PREFIX):
            return Match.FULL, {}
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def mount(national: FastAPI, deps: Deps, runtime: Any = None) -> None:
    """Serve the platform-token API on the national interface's app, for the `/v1/` paths only (the dead
    letters need the runtime: its database and consumers)."""
    national.router.routes.append(OwnPaths(create_api(deps, runtime)))
