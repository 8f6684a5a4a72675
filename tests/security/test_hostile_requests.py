"""Hostile values thrown at every route of the four real services, with a token the route admits:
always an answer with a code and a sentence, never a 500."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from urllib.parse import quote

import httpx
import pytest

from libs.auth import Role
from tests.security.services import TABLES, http_services
from tests.security.test_route_matrix import PATH_VALUES, PRINCIPALS, QUERIES
from tests.support.auth import bearer

pytestmark = pytest.mark.integration

HOSTILE_TEXT = ["\x00", "a\x00b", "\ud800", "９９", "1E+999997", "x" * 5000, "../../etc/passwd", "' OR 1=1 --"]
HOSTILE_BODIES = [
    b'{"command_id": "a\\u0000b", "psn_no": "P\\u0000", "amount": 1e400}',
    b'{"transfer_id": "\\ud800", "psn_no": "P-MATRIX-1", "relative_psn_no": "R", "amount": 100000000000000000000000000000}',
    b'{"entry_id": "E", "scope_key": "national", "admdvs": "430100", "kind": "advance", "amount": Infinity}',
    b'{"setl_ids": ["\\u0000"], "psn_no": "P-MATRIX-1", "insuplc_admdvs": "\\uff14\\uff13\\uff10\\uff11\\uff10\\uff10"}',
    b"[" * 5000 + b"]" * 5000,
    b"\xff\xfe not json",
]
CASES = [(service, route) for service, table in TABLES.items() for route in table.rules]


@pytest.fixture(scope="module")
async def urls(own_namespace) -> AsyncIterator[dict[str, str]]:
    async with http_services(own_namespace) as found:
        yield found


def admitted(service: str, route: str) -> dict[str, str]:
    role = sorted(TABLES[service].rules[route])[0]
    return bearer(role, **PRINCIPALS.get(Role(role), {}))


@pytest.mark.parametrize(("service", "route"), CASES, ids=[f"{s}:{r}" for s, r in CASES])
async def test_hostile_paths_queries_and_bodies_get_an_answer_never_a_500(urls, service, route) -> None:
    method, template = route.split(" ", 1)
    headers = admitted(service, route)
    async with httpx.AsyncClient(base_url=urls[service], timeout=30, headers=headers) as client:
        for text in HOSTILE_TEXT:
            raw = quote(text.encode("utf-8", "surrogatepass"), safe="")
            path = re.sub(r"\{\w+\}", raw.replace("\\", "\\\\"), template)
            query = "&".join(f"{k}={raw}" for k in (QUERIES.get(route) or {"after": ""}))
            answer = await client.request(method, f"{path}?{query}", json={} if method == "POST" else None)
            assert 200 <= answer.status_code < 500, (text, answer.text)
            assert answer.status_code < 400 or answer.json()["reason_code"], answer.text
        if method == "POST":
            for body in HOSTILE_BODIES:
                answer = await client.post(re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES[m.group(1)], template),
                                           content=body, headers={"content-type": "application/json"})
                assert 400 <= answer.status_code < 500, (body[:60], answer.text)
                assert answer.json()["reason_code"] and answer.json()["reason"]
