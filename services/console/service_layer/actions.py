"""What an operator does through the console: each action checked against the role, sent to the
service that owns it with the operator's own token, and written to the console's audit log
(`operator_actions`) with who, what, the note and the service's answer, whatever that answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
import structlog

from services.console.adapters.services import ServicesClient
from services.console.domain.operators import check_may

log = structlog.get_logger("console.actions")


@dataclass(frozen=True)
class Operator:
    subject: str
    role: str
    token: str  # the operator's own token, forwarded to the service that acts


@dataclass
class Actions:
    database: Any
    services: ServicesClient

    async def replay(self, who: Operator, service: str, dead_letter_id: int, note: str) -> tuple[int, Any]:
        return await self._act(who, "dead_letter.replay", f"{service}/dead-letters/{dead_letter_id}", note,
                               service, f"/v1/dead-letters/{dead_letter_id}/replay", {"note": note})

    async def discard(self, who: Operator, service: str, dead_letter_id: int, note: str) -> tuple[int, Any]:
        return await self._act(who, "dead_letter.discard", f"{service}/dead-letters/{dead_letter_id}", note,
                               service, f"/v1/dead-letters/{dead_letter_id}/discard", {"note": note})

    async def close_cycle(self, who: Operator, cycle_id: str) -> tuple[int, Any]:
        return await self._act(who, "clearing.close", f"clearing/cycles/{cycle_id}", "",
                               "clearing", f"/v1/cycles/{cycle_id}/close", None)

    async def reconcile(self, who: Operator, cycle_id: str) -> tuple[int, Any]:
        return await self._act(who, "clearing.reconcile", f"clearing/cycles/{cycle_id}", "",
                               "clearing", f"/v1/cycles/{cycle_id}/reconciliation", None)

    async def _act(self, who: Operator, action: str, target: str, note: str, service: str, path: str,
                   body: Any) -> tuple[int, Any]:
        check_may(who.role, action)
        status, answer = await self.services.call(service, "POST", path, token=who.token, json=body)
        async with self.database().acquire() as conn:
            await conn.execute(
                "INSERT INTO operator_actions (actor, actor_role, action, target, note, status, answer)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)",
                who.subject, who.role, action, target, note, status, orjson.dumps(answer).decode())
        log.info("operator_action", audit=True, actor=who.subject, role=who.role, action=action, target=target,
                 status=status)
        return status, answer

    async def log(self, limit: int = 200) -> list[dict[str, Any]]:
        async with self.database().acquire() as conn:
            rows = await conn.fetch("SELECT id, actor, actor_role, action, target, note, status, at"
                                    " FROM operator_actions ORDER BY id DESC LIMIT $1", limit)
        return [{**dict(r), "at": r["at"].isoformat()} for r in rows]
