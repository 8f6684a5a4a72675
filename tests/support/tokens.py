"""The platform's tokens for tests: libs/auth (http-auth), or its interim twin until that lands (then
http-auth's tests/support/auth.py exports the same names)."""

from __future__ import annotations

try:
    from libs.auth import Principal, Role, ephemeral_env, issue_token  # type: ignore[import-not-found]
except ImportError:
    from libs.auth_interim import Principal, Role, ephemeral_env, issue_token  # type: ignore[assignment]

__all__ = ["Principal", "Role", "ephemeral_env", "issue_token"]
