"""Credentials for tests: an ephemeral platform key pair (set once a session by the root conftest) and
bearer headers for any principal."""

from __future__ import annotations

import base64
import os
import secrets
from typing import TypedDict

from libs.auth import Principal, Role, ephemeral_env, issue_token

HASH_KEY = "PII_HASH_KEY"


class Scope(TypedDict, total=False):
    """What a scoped principal owns, as `bearer`'s keywords: an office its region, a hospital itself,
    a holder their own record."""

    region: str
    institution: str
    psn_no: str


def ensure_test_keys() -> None:
    """A throw-away signing key and hash key in this process's environment (inherited by the service
    processes the tests start), unless the environment already has them."""
    if not (os.environ.get("AUTH_SIGNING_KEY") or os.environ.get("AUTH_VERIFY_KEY")):
        os.environ.update(ephemeral_env())
    os.environ.setdefault(HASH_KEY, base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode())


def bearer(role: Role | str, subject: str | None = None, *, region: str | None = None,
           institution: str | None = None, psn_no: str | None = None, ttl_s: int = 3600) -> dict[str, str]:
    """`Authorization` header of a fresh token for this principal."""
    principal = Principal(subject or f"test-{role}", Role(role), region, institution, psn_no)
    return {"Authorization": f"Bearer {issue_token(principal, ttl_s)}"}
