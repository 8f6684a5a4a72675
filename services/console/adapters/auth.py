"""The platform's tokens (libs/auth), as the console signs and checks them."""

from __future__ import annotations

from libs.auth import AuthError, KeysMissing, Principal, Role, issue_token, verify_token
from libs.settings import load_secrets

CANNOT_SIGN = (AuthError, KeysMissing)  # no signing key configured, or a token refused

__all__ = ["CANNOT_SIGN", "AuthError", "Principal", "Role", "issue_token", "load_secrets", "verify_token"]
