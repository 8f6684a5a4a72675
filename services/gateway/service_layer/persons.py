"""The person as the gateway's replies show them, from enrollment's person query (masked identity)."""

from __future__ import annotations

import time
from typing import Any

from services.gateway.adapters.platform_http import PlatformUnavailable
from services.gateway.domain import codes
from services.gateway.domain.errors import InvalidInput, Refusal
from services.gateway.domain.visit import Person
from services.gateway.service_layer.deps import Deps


def person_of(found: dict[str, Any]) -> Person:
    cov = found["coverage"]
    return Person(psn_no=cov["psn_no"], certno_masked=found.get("certno"), psn_name_masked=found.get("psn_name"),
                  gend=cov.get("gend"), age=cov.get("age"),
                  psn_type=codes.psn_type(cov["insutype"], bool(cov.get("retired")), int(cov.get("age") or 0)),
                  insuplc_admdvs=cov.get("insuplc_admdvs"))


def remember(deps: Deps, found: dict[str, Any]) -> None:
    """Keep what 1101 found for a moment: the registration that follows needs no second query."""
    if len(deps.recent_persons) > 50_000:
        deps.recent_persons.clear()
    deps.recent_persons[found["coverage"]["psn_no"]] = (time.monotonic() + deps.recent_person_s, found)


async def find_person(deps: Deps, psn_no: str) -> tuple[Person, dict[str, Any]]:
    until, found = deps.recent_persons.get(psn_no, (0.0, None))
    if found is not None and until > time.monotonic():
        return person_of(found), found["coverage"]
    try:
        found = await deps.queries.person(psn_no)
    except PlatformUnavailable:
        raise Refusal("人员信息暂时无法查询 (the person register did not answer); send the same request again",
                      "TRY_AGAIN") from None
    if found is None:
        raise InvalidInput(f"人员编号 psn_no {psn_no} 未参保 (is not insured on this platform); look the person up with 1101")
    return person_of(found), found["coverage"]


async def balance(deps: Deps, psn_no: str) -> int | None:
    try:
        return await deps.queries.balance(psn_no)
    except PlatformUnavailable:
        return None
