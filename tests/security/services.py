"""The five services in-process on the real Postgres (and Kafka for their relays), HTTP only: each
answers on a port of its own, as `make run` serves it. Their consumers are not started."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from libs.auth import RouteTable
from services.clearing import bootstrap as clearing
from services.clearing.entrypoints.http import ACCESS as CLEARING
from services.enrollment import bootstrap as enrollment
from services.enrollment.entrypoints.http import ACCESS as ENROLLMENT
from services.gateway import bootstrap as gateway
from services.gateway.entrypoints.e_vouchers import ACCESS as GATEWAY
from services.settlement import bootstrap as settlement
from services.settlement.entrypoints.http import ACCESS as SETTLEMENT
from services.wallet import bootstrap as wallet
from services.wallet.entrypoints.http import ACCESS as WALLET
from tests.support.stack import Namespace

TABLES: dict[str, RouteTable] = {"enrollment": ENROLLMENT, "settlement": SETTLEMENT, "wallet": WALLET,
                                 "clearing": CLEARING, "gateway": GATEWAY}


@contextlib.asynccontextmanager
async def http_services(ns: Namespace) -> AsyncIterator[dict[str, str]]:
    """The base URL of each service's API."""
    ports = ns.http_ports
    runtimes = [
        enrollment.bootstrap(ns.settings(enrollment.EnrollmentSettings, ENROLLMENT_HTTP_PORT=ports["enrollment"]))[0],
        settlement.bootstrap(ns.settings(settlement.SettlementSettings, SETTLEMENT_HTTP_PORT=ports["settlement"]))[0],
        wallet.bootstrap(ns.settings(wallet.WalletSettings, WALLET_HTTP_PORT=ports["wallet"]))[0],
        clearing.bootstrap(ns.settings(
            clearing.ClearingSettings, CLEARING_HTTP_PORT=ports["clearing"], SETTLEMENT_URL=f"http://127.0.0.1:{ports['settlement']}"))[0],
        gateway.bootstrap(ns.settings(gateway.GatewaySettings, GATEWAY_HTTP_PORT=ports["gateway"]))[0],  # its platform-token API
    ]
    started = []
    try:
        for runtime in runtimes:
            await runtime.start()
            started.append(runtime)
        yield {name: f"http://127.0.0.1:{ports[name]}" for name in TABLES}
    finally:
        for runtime in reversed(started):
            await runtime.stop()
