"""Issuing e-vouchers to holders (`POST /v1/e-vouchers`) and resolving the tokens counters scan.

A token is 32 random bytes (URL-safe, 43 characters: within mdtrt_cert_no's 50), returned once and
stored as its SHA-256 only. Every transaction that names mdtrt_cert_type 01 resolves its token again: an
expired token is refused with a sentence the clerk can act on, and the patient refreshes the QR code.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.gateway.adapters.repository import PgGatewayStore
from services.gateway.domain.e_voucher import EVoucher, token_hash, unknown
from services.gateway.service_layer.deps import Deps

E_VOUCHER = "01"


@dataclass(frozen=True)
class Issued:
    ec_token: str
    psn_no: str
    expires_at: datetime


async def issue(deps: Deps, psn_no: str) -> Issued:
    """A new token for the holder's own account, valid for `deps.e_voucher_ttl_s` seconds."""
    token = secrets.token_urlsafe(32)
    expires_at = deps.clock() + timedelta(seconds=deps.e_voucher_ttl_s)
    async with deps.database.transaction() as tx:
        await deps.store_for(tx).save_e_voucher(token_hash(token), psn_no, expires_at)
    return Issued(token, psn_no, expires_at)


async def resolve(deps: Deps, store: PgGatewayStore, code: str, token: str) -> EVoucher:
    """The e-voucher of a token, if institution `code` may use it now."""
    found = await store.present_e_voucher(token_hash(token), code) if token.strip() else None
    if found is None:
        raise unknown()
    found.check_usable(deps.clock(), code)
    return found
