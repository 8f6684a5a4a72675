"""`GET /v1/audit`: the service's audit log for operators and auditors, newest first, a page at a time.

Filters: `subject`, `role`, `route` (the template), `status`, `psn_no` (hashed here with the same key,
so an auditor can follow one person without the log holding their number). A page holds at most
`limit` entries; `next_before` is the cursor of the next (older) page, null on the last one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Query

from libs.audit.identity import hashed
from libs.audit.store import AccessStore, AuditQuery
from libs.auth import Principal, Role, require
from libs.auth.http import AUDIT_ROLES


def audit_router(store: Callable[[], AccessStore]) -> APIRouter:
    router = APIRouter()

    @router.get("/v1/audit", name="audit_log")
    async def audit_log(
        subject: str | None = Query(default=None, max_length=200), role: Role | None = None,
        route: str | None = Query(default=None, max_length=200), psn_no: str | None = Query(default=None, max_length=40),
        status: int | None = Query(default=None, ge=100, le=599), before: int | None = Query(default=None, ge=1),
        limit: int = Query(default=100, ge=1, le=500), _: Principal = Depends(require(*AUDIT_ROLES)),
    ) -> dict[str, Any]:
        entries = await store().page(AuditQuery(subject, role.value if role else None, route,
                                                hashed(psn_no) if psn_no else None, status, before, limit))
        return {"entries": [e.view() for e in entries],
                "next_before": entries[-1].id if len(entries) == limit else None}

    return router

