"""The platform's tokens (libs/auth from http-auth; its interim twin until that lands in main)."""

from __future__ import annotations

from libs.auth_interim import load_secrets as _interim_secrets

try:
    from libs.auth import AuthError, Principal, Role, issue_token, verify_token  # type: ignore[import-not-found]
except ImportError:  # until http-auth's libs/auth lands: the same interface
    from libs.auth_interim import AuthError, Principal, Role, issue_token, verify_token
try:
    from libs.auth import KeysMissing
except ImportError:
    KeysMissing = AuthError

CANNOT_SIGN = (AuthError, KeysMissing)  # no signing key configured, or a token refused

__all__ = ["CANNOT_SIGN", "AuthError", "Principal", "Role", "issue_token", "load_secrets", "verify_token"]


def load_secrets() -> dict[str, str]:
    """The secrets file of PLAN.md (libs/settings.load_secrets once kafka-security's lands)."""
    try:
        from libs.settings import load_secrets as shared
    except ImportError:
        return _interim_secrets()
    return shared()
