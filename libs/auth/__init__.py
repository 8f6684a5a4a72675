"""Authentication and authorisation of the platform's HTTP APIs (docs/security.md, HTTP part).

    Role, Principal                       who calls
    issue_token(principal, ttl_s=3600)    a signed bearer token (needs AUTH_SIGNING_KEY)
    verify_token(token) -> Principal      raises AuthError
    require(*roles)                       FastAPI dependency: 401 / 403 with {"code", "message"}
    RouteTable, ensure_owner              the role × route table, and "only its own" checks
"""

from libs.auth.http import AccessRefused, RouteTable, ensure_owner, require, roles_of
from libs.auth.keys import Keys, KeysMissing, current_keys, ephemeral_env
from libs.auth.principal import InvalidPrincipal, Principal, Role
from libs.auth.tokens import AuthError, issue_token, verify_token

__all__ = [
    "AccessRefused", "AuthError", "InvalidPrincipal", "Keys", "KeysMissing", "Principal", "Role", "RouteTable",
    "current_keys", "ensure_owner", "ephemeral_env", "issue_token", "require", "roles_of", "verify_token",
]
