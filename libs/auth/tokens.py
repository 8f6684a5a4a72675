"""Bearer tokens: JWTs signed with the platform's Ed25519 key (PyJWT, algorithm EdDSA).

A token names its principal (`sub`, `role`, and `region` / `institution` / `psn_no` as the role needs),
its issuer and audience (both checked), when it was issued and when it expires. Nothing else is
trusted: a role the platform does not know, or an office without its region, is refused.
"""

from __future__ import annotations

import time
import uuid

import jwt

from libs.auth.keys import ISSUER_ROLES, Keys, KeysMissing, current_keys, key_id
from libs.auth.principal import InvalidPrincipal, Principal, Role

ISSUER = "medins-platform"
AUDIENCE = "medins-api"
ALGORITHM = "EdDSA"
LEEWAY_S = 30        # clocks of the issuer and the services may differ a little
MAX_TTL_S = 90 * 24 * 3600


class AuthError(Exception):
    """A credential refused: `code` for programs, the message for the clerk."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def issue_token(principal: Principal, ttl_s: int = 3600, *, keys: Keys | None = None) -> str:
    keys = keys or current_keys()
    if keys.signing is None:
        raise KeysMissing("this process has no AUTH_SIGNING_KEY (or, as an issuer, no AUTH_ISSUER_KEY_<ISSUER>) to "
                          "issue tokens with (run `make secrets`)")
    if not 0 < ttl_s <= MAX_TTL_S:
        raise ValueError(f"a token lives between 1 second and {MAX_TTL_S} seconds")
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": principal.subject, "role": str(principal.role),
              "iat": now, "nbf": now, "exp": now + ttl_s, "jti": uuid.uuid4().hex}
    claims |= {k: v for k in ("region", "institution", "psn_no") if (v := getattr(principal, k)) is not None}
    return jwt.encode(claims, keys.signing, algorithm=ALGORITHM, headers={"kid": key_id(keys.signing.public_key())})


def verify_token(token: str, *, keys: Keys | None = None) -> Principal:
    keys = keys or current_keys()
    if not keys.verifying:
        raise AuthError("AUTH_NOT_CONFIGURED", "This service has no key to check credentials with; tell the operator.")
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        public = keys.verifying.get(kid) if kid else None
        if public is None:
            raise AuthError("TOKEN_INVALID", "The token was not issued by this platform (or its key was rotated); "
                                             "get a new one.")
        claims = jwt.decode(token, public, algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER,
                            leeway=LEEWAY_S, options={"require": ["exp", "iat", "sub", "aud", "iss"]})
        # no role: "" is none of the roles, so Role raises ValueError (refused below), as it did for None
        principal = Principal(subject=claims["sub"], role=Role(claims.get("role", "")), region=claims.get("region"),
                              institution=claims.get("institution"), psn_no=claims.get("psn_no"))
        _within_scope(principal, keys.scopes.get(str(kid)))
        return principal
    except jwt.ExpiredSignatureError as exc:
        raise AuthError("TOKEN_EXPIRED", "The token has expired; get a new one and send the request again.") from exc
    except (jwt.InvalidTokenError, ValueError, InvalidPrincipal) as exc:
        raise AuthError("TOKEN_INVALID", "The token is not valid here (wrong signature, audience, issuer or "
                                         "contents); get a new one.") from exc


def _within_scope(principal: Principal, issuer: str | None) -> None:
    """A token of an issuer's key grants only what that issuer may grant (keys.ISSUER_ROLES); a service
    token names the issuer itself."""
    if issuer is None:
        return  # the platform's key
    if principal.role not in ISSUER_ROLES[issuer] or (principal.role is Role.service and principal.subject != issuer):
        raise AuthError("TOKEN_INVALID", f"The token was signed by the {issuer} service, which may not grant "
                                         f"{principal.role.value} {principal.subject!r}; get a new one from the "
                                         "platform's operators.")
