"""The platform's tokens for tests (libs/auth)."""

from __future__ import annotations

from libs.auth import Principal, Role, ephemeral_env, issue_token

__all__ = ["Principal", "Role", "ephemeral_env", "issue_token"]
