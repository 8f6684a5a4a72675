"""What every handler works with: the database, the store, the outcome router, the platform's queries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from libs.hospital.outcomes import OutcomeRouter
from libs.messaging.ports import Database
from services.gateway.adapters.repository import PgGatewayStore
from services.gateway.domain.detail_file import Limits
from services.gateway.service_layer.ports import Catalogues, Queries


@dataclass
class Deps:
    database: Database
    store_for: Callable[[Any], PgGatewayStore]
    router: OutcomeRouter
    queries: Queries
    catalogues: Catalogues
    reply_timeout_s: float
    sign_in_valid_s: float
    clock: Callable[[], datetime]
    # Persons found by 1101, by psn_no (masked identity only), for the 2201 that usually follows at once.
    recent_persons: dict[str, tuple[float, dict[str, Any]]] = field(default_factory=dict)
    recent_person_s: float = 120.0
    files: Limits = field(default_factory=Limits)  # 9101/9102/3202: sizes and how long files are kept
    e_voucher_ttl_s: float = 300.0  # how long an e-voucher token (mdtrt_cert_type 01) may be used
