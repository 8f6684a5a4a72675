"""Institutions and their app secrets, sealed at rest.

The gateway must hold each institution's app secret itself (it verifies the HMAC of every request), so
the secret cannot be hashed like a password; it is sealed with AES-256-GCM under `GATEWAY_SECRET_KEY`
(libs/pii.Sealer), with the institution's code as associated data so a sealed secret copied onto
another institution's row does not open. A dump of the database shows no secret; the key lives only in
the secrets file. `seal_clear_rows` seals, at start, what earlier versions stored in clear, and re-seals
what was sealed under a key that is no longer the first (a rotation).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from libs.pii import Sealer

PREFIX = "gwsecret:1:"
SETTING = "GATEWAY_SECRET_KEY"
_BATCH = 500


def secret_sealer(keys: str) -> Sealer:
    """The gateway's sealer from `GATEWAY_SECRET_KEY` (`base64`, or `kid:base64,...`: the first seals)."""
    return Sealer.from_setting(keys, SETTING, PREFIX)


def _field(fixmedins_code: str) -> str:
    return f"app_secret/{fixmedins_code}"


@dataclass(frozen=True)
class Institution:
    fixmedins_code: str
    fixmedins_name: str
    fixmedins_type: str
    hosp_lv: str
    region: str
    app_id: str
    app_secret: str


class PgCredentials:
    """Institutions in the gateway's Postgres; `conn` is a connection or a transaction's connection."""

    def __init__(self, conn: Any, sealer: Sealer) -> None:
        self.conn, self.sealer = conn, sealer

    async def register_institution(self, code: str, name: str, hosp_lv: str, region: str,
                                   fixmedins_type: str = "hospital") -> Institution:
        """New credentials (registering a code again rotates them); the secret is returned once, in clear."""
        app_id = "app-" + secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        await self.conn.execute(
            "INSERT INTO institutions (fixmedins_code, fixmedins_name, fixmedins_type, hosp_lv, region, app_id, app_secret)"
            " VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (fixmedins_code) DO UPDATE SET fixmedins_name = $2,"
            " fixmedins_type = $3, hosp_lv = $4, region = $5, app_id = $6, app_secret = $7, active = true",
            code, name, fixmedins_type, hosp_lv, region, app_id, self.sealer.seal(_field(code), secret))
        return Institution(code, name, fixmedins_type, hosp_lv, region, app_id, secret)

    async def institution_by_app_id(self, app_id: str) -> Institution | None:
        row = await self.conn.fetchrow(
            "SELECT fixmedins_code, fixmedins_name, fixmedins_type, hosp_lv, region, app_id, app_secret"
            " FROM institutions WHERE app_id = $1 AND active", app_id)
        if row is None:
            return None
        found = dict(row)
        found["app_secret"] = self.sealer.open(_field(row["fixmedins_code"]), row["app_secret"])
        return Institution(**found)

    async def seal_clear_rows(self) -> int:
        """Seal every secret still in clear, re-seal those under an older key; the number of rows changed."""
        changed, after = 0, ""
        while rows := await self.conn.fetch(
                "SELECT fixmedins_code, app_secret FROM institutions WHERE fixmedins_code > $1"
                " ORDER BY fixmedins_code LIMIT $2", after, _BATCH):
            after = rows[-1]["fixmedins_code"]
            stale = [r for r in rows if not self.sealer.is_sealed(r["app_secret"])
                     or self.sealer.key_id(r["app_secret"]) != self.sealer.current]
            if stale:
                await self.conn.execute(
                    "UPDATE institutions AS i SET app_secret = s.sealed FROM unnest($1::text[], $2::text[])"
                    " AS s(code, sealed) WHERE i.fixmedins_code = s.code",
                    [r["fixmedins_code"] for r in stale],
                    [self.sealer.seal(_field(r["fixmedins_code"]),
                                      self.sealer.open(_field(r["fixmedins_code"]), r["app_secret"])) for r in stale])
                changed += len(stale)
        return changed
