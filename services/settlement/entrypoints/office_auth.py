"""Who may call the offices' endpoints: an enrollment office (`Role.office`), for its own region.

A thin adapter over `libs.auth` (owned by the HTTP-auth work): once `libs.auth` is there, the dependency
is its `require(Role.office)`, which answers 401 without a valid token and 403 for another role. Until
it lands, the dependency refuses every call (503), never lets one through; tests replace it with
`app.dependency_overrides[office] = ...`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException


@dataclass(frozen=True)
class OfficeCaller:
    """The part of `libs.auth.Principal` these endpoints read."""

    subject: str
    region: str


def _unconfigured() -> Any:
    raise HTTPException(503, {"code": "AUTH_NOT_CONFIGURED",
                              "message": "office authentication is not available in this build; nothing was done"})


try:
    from libs.auth import Role, require
except ImportError:  # libs.auth has not landed yet
    office = _unconfigured
else:
    office = require(Role.office)
