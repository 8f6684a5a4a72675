"""Who a request comes from, as the audit log records it, with no personal data in clear."""

from __future__ import annotations

import base64
import os
from functools import lru_cache
from typing import Any

from libs.auth import AuthError, Principal, Role, verify_token
from libs.masking import mask_text, pseudonym
from libs.settings import load_secrets

HASH_KEY = "PII_HASH_KEY"
# Body fields that say what a request is about; the personal ones are replaced by their pseudonym.
TARGET_FIELDS = ("command_id", "transfer_id", "payment_id", "credit_id", "entry_id", "claim_id", "filing_id", "office_ref",
                 "fixmedins_code", "insuplc_admdvs", "scope_key", "admdvs", "kind", "amount")
PERSONAL_FIELDS = ("psn_no", "relative_psn_no")


class HashKeyMissing(RuntimeError):
    """PII_HASH_KEY is in neither the environment nor the secrets file (`make secrets`)."""


def hash_key() -> bytes:
    value = os.environ.get(HASH_KEY) or load_secrets().get(HASH_KEY)
    if not value:
        raise HashKeyMissing("PII_HASH_KEY is not configured: run `make secrets` (deploy/secrets.py)")
    return _decoded(value)


@lru_cache(maxsize=4)
def _decoded(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def printable(text: str, limit: int = 200) -> str:
    """Text Postgres and JSON can store: no NUL, no lone surrogate (escaped instead), at most `limit` long."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")[:limit]


def hashed(value: str) -> str:
    return pseudonym(value, hash_key())


def caller(authorization: str | None) -> Principal | None:
    """The principal a bearer token names, or None when there is none or it is not valid."""
    if not authorization or not authorization.lower().startswith("bearer "):
        return None
    try:
        return verify_token(authorization[7:].strip())
    except AuthError:
        return None


def who(principal: Principal | None) -> tuple[str, str | None, str | None]:
    """(subject, role, tenant) for the log: a holder's person number is hashed, account names kept
    (an operator's actions must name the operator) with any ID number in them masked."""
    if principal is None:
        return "anonymous", None, None
    if principal.role is Role.holder:
        person = hashed(principal.psn_no or principal.subject)
        return person, str(principal.role), f"holder:{person}"
    return printable(mask_text(principal.subject)), str(principal.role), printable(mask_text(principal.tenant))


def target(body: Any, path_params: dict[str, Any]) -> dict[str, Any]:
    """What the request is about: its path parameters and its key fields, psn_no hashed."""
    found: dict[str, Any] = {}
    for name, value in path_params.items():
        found[name] = hashed(str(value)) if name in PERSONAL_FIELDS else printable(mask_text(str(value)), 80)
    if isinstance(body, dict):
        for name in TARGET_FIELDS:
            if isinstance(body.get(name), (str, int)) and not isinstance(body.get(name), bool):
                found[name] = printable(mask_text(str(body[name])), 80)
        for name in PERSONAL_FIELDS:
            if isinstance(body.get(name), str):
                found[name] = hashed(body[name])
        if isinstance(body.get("setl_ids"), list):
            found["setl_ids"] = len(body["setl_ids"])
    return found
