"""Hypothesis at every HTTP route of the four services: whatever the path, query and body hold, the
answer is below 500.

The services run in-process on the real Postgres exactly as `make run` serves them (the HTTP
boundary's `tests/security/services.py`), and every request carries a token of a role the route's
table admits (`tests/support/auth.py`), so a hostile value reaches the route's own validation rather
than stopping at the authentication gate; the gate itself is tested by the role × route matrix.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from libs.contracts.registry import PAYLOAD_TYPES

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(importlib.util.find_spec("tests.security") is None or importlib.util.find_spec("libs.auth") is None,
                       reason="the HTTP boundary (libs/auth, tests/security) lands with the http-auth branch"),
]

SEGMENTS = ["\x00", "a\x00b", "\ud800", "\udcff", "1E+999997", "Infinity", "NaN", "-1", "0", "9" * 30, "../../etc",
            "x" * 3000, "１２３", "²", "430100", "national", "2026-02-30", " ", "%", "?#"]
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.sampled_from(["\x00", "\ud800", "1E+999997", "Infinity", "１２３", "²", "x" * 20_000, "2026-13-45", "-0"]),
)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                              max_size=4), max_leaves=12)
FIELDS = sorted({name for model in PAYLOAD_TYPES.values() for name in model.model_fields})


@pytest.fixture(scope="module")
async def services(own_namespace) -> AsyncIterator[tuple[dict[str, str], Any, Any]]:
    from tests.security.services import TABLES, http_services
    from tests.security.test_route_matrix import PRINCIPALS
    from tests.support.auth import bearer

    def admitted(service: str, route: str) -> dict[str, str]:
        role = sorted(TABLES[service].rules[route])[0]
        return bearer(role, **PRINCIPALS.get(role, {}))

    async with http_services(own_namespace) as urls:
        yield urls, TABLES, admitted


def encoded(text: str) -> str:
    """Percent-encoded as a careless client would send it: a lone surrogate as its UTF-8-ish bytes."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


@pytest.mark.parametrize("service", ["clearing", "enrollment", "wallet", "settlement"])
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
async def test_no_hostile_request_to_any_route_gets_a_500(services, service, data) -> None:
    urls, tables, admitted = services
    route = data.draw(st.sampled_from(sorted(tables[service].rules)), label="route")
    method, template = route.split(" ", 1)
    segment = data.draw(st.sampled_from(SEGMENTS) | st.text(max_size=20), label="path segment")
    query = data.draw(st.dictionaries(st.sampled_from(["from", "to", "year", "limit", "after", "prefix", "status",
                                                       "coverage_year", "bucket", "x"]), SCALARS, max_size=3),
                      label="query")
    body = data.draw(st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=8) | VALUES, label="body")
    path = re.sub(r"\{(\w+)\}", lambda m: encoded(segment), template)
    if query:
        path += "?" + "&".join(f"{k}={encoded(str(v))}" for k, v in query.items())
    content = json.dumps(body, allow_nan=True).encode("utf-8", "surrogatepass") if method == "POST" else None
    async with httpx.AsyncClient(base_url=urls[service], timeout=30, headers=admitted(service, route)) as client:
        answer = await client.request(method, path, content=content, headers={"content-type": "application/json"})
    assert answer.status_code < 500, (route, segment, query, body, answer.text[:300])
