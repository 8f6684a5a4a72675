"""Every role × every route of the five services, on the real services and Postgres: a role the role
table admits gets past the gate (whatever the route then answers, never 401/403), any other role is
refused with 403 ROLE_NOT_ALLOWED, and without a valid token every route answers 401."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator

import httpx
import jwt
import pytest

from libs.auth import Principal, Role, current_keys, issue_token
from tests.security.services import TABLES, http_services
from tests.support.auth import Scope, bearer

pytestmark = pytest.mark.integration

REGION, INSTITUTION, PERSON = "430100", "H43010000001", "P-MATRIX-1"
# What each path parameter is in these requests: what the scoped principals below own.
PATH_VALUES = {"scope_key": "national", "period_start": "2026-01-01", "admdvs": REGION,
               "fixmedins_code": INSTITUTION, "psn_no": PERSON, "claim_id": "C-MATRIX-1", "setl_id": "S-MATRIX-1",
               "office_ref": "REF-MATRIX-1", "dead_letter_id": "1"}
QUERIES: dict[str, dict[str, str | int]] = {
    "GET /v1/settlements": {"from": "2026-01-01T00:00:00+08:00", "to": "2026-01-02T00:00:00+08:00"},
    "GET /v1/persons/{psn_no}/resident-premium": {"coverage_year": 2027}}
PRINCIPALS: dict[Role, Scope] = {Role.office: {"region": REGION}, Role.hospital: {"institution": INSTITUTION},
                                 Role.holder: {"psn_no": PERSON}}
CASES = [(service, route, role) for service, table in TABLES.items() for route in table.rules for role in Role]


@pytest.fixture(scope="module")
async def urls(own_namespace) -> AsyncIterator[dict[str, str]]:
    async with http_services(own_namespace) as found:
        yield found


async def call(url: str, route: str, headers: dict[str, str]) -> httpx.Response:
    method, template = route.split(" ", 1)
    path = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES[m.group(1)], template)
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        return await client.request(method, path, params=QUERIES.get(route), headers=headers,
                                    json={} if method == "POST" else None)


@pytest.mark.parametrize(("service", "route", "role"), CASES, ids=[f"{s}:{r}:{o}" for s, r, o in CASES])
async def test_each_role_is_admitted_or_refused_exactly_as_the_role_table_says(urls, service, route, role) -> None:
    answer = await call(urls[service], route, bearer(role, **PRINCIPALS.get(role, {})))
    if role in TABLES[service].rules[route]:
        assert answer.status_code not in (401, 403, 500), answer.text
    else:
        assert (answer.status_code, answer.json()["code"]) == (403, "ROLE_NOT_ALLOWED"), answer.text
        assert answer.json()["message"]


ROUTES = [(service, route) for service, table in TABLES.items() for route in table.rules]


def forged() -> dict[str, str]:
    """A token signed with a key the platform does not know."""
    from libs.auth.keys import Keys, new_signing_key
    return {"Authorization": "Bearer " + issue_token(Principal("mallory", Role.operator),
                                                     keys=Keys.of(new_signing_key(), None))}


def expired() -> dict[str, str]:
    keys = current_keys()
    assert keys.signing is not None, "the tests' environment holds a signing key (tests/support/auth.py)"
    claims = {"iss": "medins-platform", "aud": "medins-api", "sub": "late", "role": "operator",
              "iat": int(time.time()) - 7200, "exp": int(time.time()) - 3600}
    kid = next(iter(keys.verifying))
    return {"Authorization": "Bearer " + jwt.encode(claims, keys.signing, algorithm="EdDSA", headers={"kid": kid})}


@pytest.mark.parametrize(("service", "route"), ROUTES, ids=[f"{s}:{r}" for s, r in ROUTES])
async def test_without_a_valid_token_every_route_answers_401_with_a_sentence(urls, service, route) -> None:
    for headers, code in (({}, "NOT_AUTHENTICATED"), ({"Authorization": "Bearer nonsense"}, "TOKEN_INVALID"),
                          (forged(), "TOKEN_INVALID"), (expired(), "TOKEN_EXPIRED")):
        answer = await call(urls[service], route, headers)
        assert (answer.status_code, answer.json()["code"]) == (401, code), answer.text
        assert answer.headers["WWW-Authenticate"] == "Bearer" and answer.json()["message"]


def test_the_role_tables_in_docs_security_md_are_the_ones_in_the_code() -> None:
    from pathlib import Path
    doc = (Path(__file__).resolve().parents[2] / "docs" / "security.md").read_text()
    for table in TABLES.values():
        assert table.markdown() in doc, f"docs/security.md does not show {table.service}'s table as the code has it"
