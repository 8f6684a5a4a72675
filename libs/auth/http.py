"""FastAPI's side of authentication: `require(*roles)`, the route table, and the ownership checks.

`require` answers 401 without a valid bearer token and 403 for a role the route does not admit, with
a body `{"code", "message"}` (and the services' usual `reason_code` / `reason` beside it). A route
reached by a scoped role then calls `ensure_owner` with what the request is about: an office outside
its region, a hospital for another institution, or a holder for another account is refused with 403.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, HTTPException
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from libs.auth.principal import Principal, Role
from libs.auth.tokens import AuthError, verify_token

_bearer = HTTPBearer(auto_error=False, description="A platform token: `make token ROLE=...` (docs/security.md).")
AUDIT_ROUTE = "GET /v1/audit"  # every service's audit log (libs/audit/api.py)
AUDIT_ROLES = frozenset({Role.operator, Role.auditor})
SCOPED = {Role.office: "own region", Role.hospital: "own institution", Role.holder: "own account"}


class AccessRefused(HTTPException):
    """Answered as `status` with `{"code", "message"}` by libs.http.harden's handler (an app without it
    still answers the right status, FastAPI's way)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        super().__init__(status, {"code": code, "message": message}, headers)
        self.status, self.code, self.message = status, code, message

    def response(self) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if self.status == 401 else None
        return refusal_response(self.status, self.code, self.message, headers)


def refusal_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"code": code, "message": message, "reason_code": code, "reason": message}
    return JSONResponse(body, status_code=status, headers=headers)


def require(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency giving the caller's Principal when it holds one of `roles`."""
    allowed = frozenset(Role(r) for r in roles)

    async def principal(credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> Principal:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise AccessRefused(401, "NOT_AUTHENTICATED", "Sign in first: send your token as "
                                "`Authorization: Bearer <token>` (docs/security.md says how to get one).")
        try:
            found = verify_token(credentials.credentials)
        except AuthError as refused:
            status = 503 if refused.code == "AUTH_NOT_CONFIGURED" else 401
            raise AccessRefused(status, refused.code, str(refused)) from refused
        if found.role not in allowed:
            names = ", ".join(sorted(allowed))
            raise AccessRefused(403, "ROLE_NOT_ALLOWED",
                                f"A {found.role} may not do this; it is for: {names}.")
        return found

    principal.__auth_roles__ = allowed  # type: ignore[attr-defined]  # read by tests and the route table
    return principal


def roles_of(route: Any) -> frozenset[Role] | None:
    """The roles a FastAPI route admits, or None when no `require` guards it."""
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        found: frozenset[Role] | None = getattr(dependant.call, "__auth_roles__", None)
        if found is not None:
            return found
        stack.extend(dependant.dependencies)
    return None


@dataclass(frozen=True)
class RouteTable:
    """One service's role × route table: the roles each `"METHOD /path"` admits. Routes take their
    guard from here (`Depends(table.dependency("POST /v1/..."))`), the matrix test and docs/security.md read it."""

    service: str
    rules: Mapping[str, frozenset[Role]]

    @classmethod
    def of(cls, service: str, rules: Mapping[str, Iterable[Role]]) -> RouteTable:
        """Every service also serves its audit log to operators and auditors."""
        return cls(service, {**{route: frozenset(roles) for route, roles in rules.items()}, AUDIT_ROUTE: AUDIT_ROLES})

    def dependency(self, route: str) -> Callable[..., Awaitable[Principal]]:
        """The guard of `route`: `who: Principal = Depends(ACCESS.dependency("POST /v1/..."))`."""
        return require(*self.rules[route])

    def markdown(self) -> str:
        """The table as docs/security.md shows it: a row a route, a column a role."""
        roles = list(Role)
        lines = [f"| {self.service} | " + " | ".join(roles) + " |", "|---" * (len(roles) + 1) + "|"]
        for route, allowed in self.rules.items():
            cells = [(SCOPED.get(r, "yes") if r in allowed else "—") for r in roles]
            lines.append(f"| `{route}` | " + " | ".join(cells) + " |")
        return "\n".join(lines)


def ensure_owner(principal: Principal, *, region: str | None = None, institution: str | None = None,
                 psn_no: str | None = None, regions: Iterable[str] = ()) -> None:
    """Refuse a scoped principal acting on what is not its own. The route passes what the request is
    about (`regions`: any of several regions will do); a scoped role whose attribute is not passed (or
    unknown) is refused too: it fails closed."""
    if principal.role is Role.office and principal.region != region and principal.region not in set(regions):
        raise AccessRefused(403, "OTHER_REGION", f"Your office serves region {principal.region}; this person or "
                            "record belongs to another region's office.")
    if principal.role is Role.hospital and principal.institution != institution:
        raise AccessRefused(403, "OTHER_INSTITUTION", f"Your credential is for institution {principal.institution}; "
                            "you can only see and act on your own claims and items.")
    if principal.role is Role.holder and principal.psn_no != psn_no:
        raise AccessRefused(403, "NOT_YOUR_ACCOUNT", "You can only see and act on your own account; a relative "
                            "signs in with their own credential.")
