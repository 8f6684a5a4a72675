"""Platform tokens: what is accepted, what is refused and why, and how keys rotate."""

from __future__ import annotations

import time

import jwt
import pytest

from libs.auth import AuthError, InvalidPrincipal, Keys, Principal, Role, issue_token, verify_token
from libs.auth.keys import IssuerKey, key_id, new_signing_key, public_key_of
from libs.auth.token import main as token_cli

KEYS = Keys.of(new_signing_key(), None)
OFFICE = Principal("clerk-1", Role.office, region="430100")


def signed(claims: dict, keys: Keys = KEYS) -> str:
    assert keys.signing is not None
    return jwt.encode(claims, keys.signing, algorithm="EdDSA", headers={"kid": key_id(keys.signing.public_key())})


def claims(**changes) -> dict:
    now = int(time.time())
    return {"iss": "medins-platform", "aud": "medins-api", "sub": "clerk-1", "role": "office", "region": "430100",
            "iat": now, "exp": now + 60} | changes


def test_a_token_names_its_principal_and_nothing_else_is_trusted() -> None:
    assert verify_token(issue_token(OFFICE, keys=KEYS), keys=KEYS) == OFFICE


@pytest.mark.parametrize(("changes", "code"), [
    ({"aud": "another-api"}, "TOKEN_INVALID"),
    ({"iss": "someone-else"}, "TOKEN_INVALID"),
    ({"role": "superuser"}, "TOKEN_INVALID"),
    ({"region": None}, "TOKEN_INVALID"),
    ({"exp": -120}, "TOKEN_EXPIRED"),
    ({"exp": None}, "TOKEN_INVALID"),
], ids=["audience", "issuer", "unknown role", "office without region", "expired", "no expiry"])
def test_a_token_is_refused_for_the_wrong_audience_issuer_role_contents_or_time(changes, code) -> None:
    if "exp" in changes:  # relative to now, when the test runs
        changes = {"exp": int(time.time()) + changes["exp"]} if changes["exp"] is not None else {}
        token_claims = {k: v for k, v in claims(**changes).items() if changes or k != "exp"}
    else:
        token_claims = claims(**changes)
    with pytest.raises(AuthError) as refused:
        verify_token(signed(token_claims), keys=KEYS)
    assert refused.value.code == code and str(refused.value)


def test_a_token_signed_by_another_key_or_unsigned_is_refused() -> None:
    stranger = Keys.of(new_signing_key(), None)
    unsigned = jwt.encode(claims(), None, algorithm="none")  # type: ignore[arg-type]  # no key: the forgery under test
    for token in (issue_token(OFFICE, keys=stranger), unsigned):
        with pytest.raises(AuthError, match="get a new one"):
            verify_token(token, keys=KEYS)


def test_a_verifier_with_only_public_keys_accepts_the_old_and_the_new_key_during_a_rotation() -> None:
    old, new = new_signing_key(), new_signing_key()
    verifier = Keys.of(None, f"{public_key_of(old)},{public_key_of(new)}")
    for signing in (old, new):
        assert verify_token(issue_token(OFFICE, keys=Keys.of(signing, None)), keys=verifier) == OFFICE
    with pytest.raises(Exception, match="AUTH_SIGNING_KEY"):
        issue_token(OFFICE, keys=verifier)


def test_a_principal_needs_what_its_role_is_tied_to() -> None:
    for role, missing in ((Role.office, "region"), (Role.hospital, "institution"), (Role.holder, "person number")):
        with pytest.raises(InvalidPrincipal, match=missing):
            Principal("x", role)
    assert Principal("desk-1", Role.clearing_desk).tenant == "clearing_desk:desk-1"
    assert OFFICE.tenant == "office:430100"


def test_the_cli_prints_a_token_or_says_why_not(capsys) -> None:
    assert token_cli(["--role", "hospital", "--institution", "H43010000001"]) == 0
    principal = verify_token(capsys.readouterr().out.strip())
    assert (principal.role, principal.institution, principal.subject) == (Role.hospital, "H43010000001", "H43010000001")
    assert token_cli(["--role", "office"]) == 2
    assert "6-digit region" in capsys.readouterr().err


GATEWAY_KEY, CONSOLE_KEY = new_signing_key(), new_signing_key()
ISSUERS = (IssuerKey("gateway", GATEWAY_KEY), IssuerKey("console", CONSOLE_KEY))
VERIFIER = Keys.of(None, public_key_of(new_signing_key()), (IssuerKey("gateway", None, public_key_of(GATEWAY_KEY)),
                                                           IssuerKey("console", None, public_key_of(CONSOLE_KEY))))


def test_an_issuers_key_grants_only_what_that_issuer_may_grant() -> None:
    as_gateway = Keys.of(None, None, ISSUERS, "gateway")
    assert verify_token(issue_token(Principal("gateway", Role.service), keys=as_gateway), keys=VERIFIER).subject == "gateway"
    for forged in (Principal("op-1", Role.operator), Principal("console", Role.service),
                   Principal("H1", Role.hospital, institution="H1"), Principal("clerk-1", Role.office, region="430100")):
        with pytest.raises(AuthError, match="gateway service, which may not grant"):
            verify_token(issue_token(forged, keys=as_gateway), keys=VERIFIER)
    as_console = Keys.of(None, None, ISSUERS, "console")
    for role in (Role.operator, Role.auditor, Role.clearing_desk):
        assert verify_token(issue_token(Principal("alice", role), keys=as_console), keys=VERIFIER).role is role
    with pytest.raises(AuthError, match="console service, which may not grant holder"):
        verify_token(issue_token(Principal("P1", Role.holder, psn_no="P1"), keys=as_console), keys=VERIFIER)


def test_an_issuer_signs_with_its_own_key_or_not_at_all() -> None:
    platform = new_signing_key()
    assert Keys.of(platform, None, (), "gateway").signing is None  # the platform's key at hand is not used
    own = Keys.of(platform, None, ISSUERS, "gateway")
    assert own.signing is not None and key_id(own.signing.public_key()) in own.scopes
