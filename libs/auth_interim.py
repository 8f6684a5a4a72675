"""The auth interface of PLAN.md (libs/auth, owned by http-auth) until that package lands in main.

Only `libs/messaging/dead_letter_api.py` and the console's adapter import this, and only when
`libs.auth` cannot be imported; delete this file once it can. Tokens are HS256 JWTs signed with
`AUTH_SIGNING_KEY` (the environment, else the secrets file of PLAN.md), so the console and the
services verify each other's tokens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

ROOT = Path(__file__).resolve().parents[1]


class Role(StrEnum):
    office = "office"
    holder = "holder"
    hospital = "hospital"
    clearing_desk = "clearing_desk"
    operator = "operator"
    auditor = "auditor"
    service = "service"


@dataclass(frozen=True)
class Principal:
    subject: str
    role: Role
    region: str | None = None
    institution: str | None = None
    psn_no: str | None = None


class AuthError(Exception):
    """A token that is missing, malformed, badly signed or expired."""


def secrets_file() -> Path:
    if os.environ.get("SECRETS_FILE"):
        return Path(os.environ["SECRETS_FILE"])
    if os.environ.get("STACK_DIR"):
        return Path(os.environ["STACK_DIR"]) / "secrets.env"
    return ROOT / ".stack" / "secrets.env"


def load_secrets() -> dict[str, str]:
    path = secrets_file()
    if not path.exists():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line and not line.startswith("#"))
    return {k.strip(): v.strip() for k, v in pairs}


def _key() -> bytes:
    key = os.environ.get("AUTH_SIGNING_KEY") or load_secrets().get("AUTH_SIGNING_KEY")
    if not key:
        raise AuthError("AUTH_SIGNING_KEY is not set (environment or secrets file)")
    return key.encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_token(principal: Principal, ttl_s: int = 3600) -> str:
    now = int(time.time())
    claims = {k: v for k, v in asdict(principal).items() if k != "subject" and v is not None}
    body = {"sub": principal.subject, **claims, "role": str(principal.role), "iat": now, "exp": now + ttl_s}
    signing = f"{_b64(json.dumps({'alg': 'HS256', 'typ': 'JWT'}).encode())}.{_b64(json.dumps(body).encode())}"
    return f"{signing}.{_b64(hmac.new(_key(), signing.encode(), hashlib.sha256).digest())}"


def verify_token(token: str) -> Principal:
    try:
        head, body, signature = token.split(".")
        expected = hmac.new(_key(), f"{head}.{body}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(signature)):
            raise AuthError("the token's signature does not match")
        claims = json.loads(_unb64(body))
        if claims.get("exp", 0) < time.time():
            raise AuthError("the token has expired")
        return Principal(claims["sub"], Role(claims["role"]), claims.get("region"), claims.get("institution"),
                         claims.get("psn_no"))
    except AuthError:
        raise
    except Exception as exc:  # malformed in any way
        raise AuthError("the token is not valid") from exc


_bearer = HTTPBearer(auto_error=False)


def require(*roles: Role):
    async def dependency(request: Request,
                         credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> Principal:
        if credentials is None:
            raise HTTPException(401, {"code": "UNAUTHENTICATED", "message": "Sign in first: no bearer token was sent."})
        try:
            principal = verify_token(credentials.credentials)
        except AuthError as exc:
            raise HTTPException(401, {"code": "UNAUTHENTICATED", "message": f"Sign in again: {exc}."}) from exc
        if principal.role not in roles:
            raise HTTPException(403, {"code": "FORBIDDEN", "message": f"A {principal.role} may not do this."})
        return principal

    return dependency


def ephemeral_env() -> dict[str, str]:
    """A throw-away signing key as environment variables, for tests and one-off runs."""
    import secrets

    return {"AUTH_SIGNING_KEY": secrets.token_urlsafe(32)}
