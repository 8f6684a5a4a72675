"""Where the audit log and the idempotency keys' owners are kept: Postgres, or memory for unit tests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson


@dataclass(frozen=True)
class AuditEntry:
    subject: str
    role: str | None
    tenant: str | None
    channel: str
    method: str
    route: str
    action: str | None = None
    target: dict[str, Any] = field(default_factory=dict)
    status: int | None = None
    code: str | None = None
    at: datetime | None = None
    finished_at: datetime | None = None
    id: int | None = None

    def view(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at, "subject": self.subject, "role": self.role, "tenant": self.tenant,
                "channel": self.channel, "method": self.method, "route": self.route, "action": self.action,
                "target": self.target, "status": self.status, "code": self.code, "finished_at": self.finished_at}


@dataclass(frozen=True)
class AuditQuery:
    """Filters (each optional, all must match) and a page: entries with id below `before`, newest first."""

    subject: str | None = None
    role: str | None = None
    route: str | None = None
    psn_no_hash: str | None = None
    status: int | None = None
    before: int | None = None
    limit: int = 100


class AccessStore(Protocol):
    async def begin(self, entry: AuditEntry) -> int: ...
    async def finish(self, entry_id: int, route: str, action: str | None, target: dict[str, Any],
                     status: int, code: str | None) -> None: ...
    async def page(self, query: AuditQuery) -> list[AuditEntry]: ...
    async def claim_key(self, kind: str, key: str, owner: str) -> str:
        """Record `owner` as the key's owner if it has none; return its owner."""


class PgAccessStore:
    """On the service's own pool (a `PgDatabase`, whose pool is opened at start-up)."""

    def __init__(self, database: Any) -> None:
        self._database = database

    @property
    def _pool(self) -> Any:
        assert self._database.pool is not None, "database used before start-up"
        return self._database.pool

    async def begin(self, entry: AuditEntry) -> int:
        entry_id: int = await self._pool.fetchval(
            "INSERT INTO audit_log (subject, role, tenant, channel, method, route, action, target, status, code,"
            " finished_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10,"
            " CASE WHEN $9::int IS NULL THEN NULL ELSE now() END) RETURNING id",
            entry.subject, entry.role, entry.tenant, entry.channel, entry.method, entry.route, entry.action,
            orjson.dumps(entry.target).decode(), entry.status, entry.code)
        return entry_id

    async def finish(self, entry_id: int, route: str, action: str | None, target: dict[str, Any],
                     status: int, code: str | None) -> None:
        await self._pool.execute(
            "UPDATE audit_log SET route = $2, action = $3, target = target || $4::jsonb, status = $5, code = $6,"
            " finished_at = now() WHERE id = $1", entry_id, route, action, orjson.dumps(target).decode(), status, code)

    async def page(self, query: AuditQuery) -> list[AuditEntry]:
        rows = await self._pool.fetch(
            "SELECT * FROM audit_log WHERE ($1::text IS NULL OR subject = $1) AND ($2::text IS NULL OR role = $2)"
            " AND ($3::text IS NULL OR route = $3) AND ($4::text IS NULL OR target->>'psn_no' = $4"
            "   OR target->>'relative_psn_no' = $4 OR tenant = 'holder:' || $4)"
            " AND ($5::int IS NULL OR status = $5) AND ($6::bigint IS NULL OR id < $6)"
            " ORDER BY id DESC LIMIT $7",
            query.subject, query.role, query.route, query.psn_no_hash, query.status, query.before, query.limit)
        return [AuditEntry(**{**dict(r), "target": orjson.loads(r["target"])}) for r in rows]

    async def claim_key(self, kind: str, key: str, owner: str) -> str:
        await self._pool.execute("INSERT INTO idempotency_owners (kind, key, owner) VALUES ($1, $2, $3)"
                                 " ON CONFLICT DO NOTHING", kind, key, owner)
        found: str = await self._pool.fetchval("SELECT owner FROM idempotency_owners WHERE kind = $1 AND key = $2",
                                               kind, key)
        return found


class MemoryAccessStore:
    def __init__(self) -> None:
        self.entries: dict[int, AuditEntry] = {}
        self.owners: dict[tuple[str, str], str] = {}
        self._ids = itertools.count(1)

    async def begin(self, entry: AuditEntry) -> int:
        entry_id = next(self._ids)
        self.entries[entry_id] = replace(entry, id=entry_id, at=datetime.now(UTC))
        return entry_id

    async def finish(self, entry_id: int, route: str, action: str | None, target: dict[str, Any],
                     status: int, code: str | None) -> None:
        entry = self.entries[entry_id]
        self.entries[entry_id] = replace(entry, route=route, action=action, target={**entry.target, **target},
                                         status=status, code=code, finished_at=datetime.now(UTC))

    async def page(self, query: AuditQuery) -> list[AuditEntry]:
        def matches(e: AuditEntry) -> bool:
            hashes = {e.target.get("psn_no"), e.target.get("relative_psn_no"), (e.tenant or "").removeprefix("holder:")}
            return ((query.subject is None or e.subject == query.subject) and (query.role is None or e.role == query.role)
                    and (query.route is None or e.route == query.route)
                    and (query.psn_no_hash is None or query.psn_no_hash in hashes)
                    and (query.status is None or e.status == query.status)
                    and (query.before is None or (e.id or 0) < query.before))
        return [e for e in sorted(self.entries.values(), key=lambda e: -(e.id or 0)) if matches(e)][:query.limit]

    async def claim_key(self, kind: str, key: str, owner: str) -> str:
        return self.owners.setdefault((kind, key), owner)


def store_for(database: Any) -> AccessStore:
    """The service's own database (Postgres), or memory beside a fake database in unit tests."""
    return PgAccessStore(database) if hasattr(database, "pool") else MemoryAccessStore()
