"""Sealing what older versions stored in clear: ID numbers in `persons.certno`, and the ID number and
name in each `PersonRegistered` event. Run at start, before the consumers, in batches; a no-op once
everything is sealed. Re-running it after a crash seals what is left.
"""

from __future__ import annotations

import asyncpg
import orjson

from libs.pii import PiiVault, is_sealed
from services.enrollment.adapters.event_codec import PERSONAL_FIELDS

_BATCH = 500


async def seal_clear_rows(conn: asyncpg.Connection, vault: PiiVault) -> int:
    """Seal every row still holding personal data in clear; the number of rows changed."""
    return await _persons(conn, vault) + await _events(conn, vault)


async def _persons(conn: asyncpg.Connection, vault: PiiVault) -> int:
    changed = 0
    while rows := await conn.fetch(
            "SELECT psn_no, certno FROM persons WHERE certno IS NOT NULL ORDER BY psn_no LIMIT $1", _BATCH):
        await conn.execute(
            "UPDATE persons AS p SET certno = NULL, certno_hash = s.hash, certno_sealed = s.sealed"
            " FROM unnest($1::text[], $2::text[], $3::text[]) AS s(psn_no, hash, sealed) WHERE p.psn_no = s.psn_no",
            [r["psn_no"] for r in rows], [vault.lookup_hash(r["certno"]) for r in rows],
            [vault.seal("certno", r["certno"]) for r in rows])
        changed += len(rows)
    return changed


async def _events(conn: asyncpg.Connection, vault: PiiVault) -> int:
    changed = 0
    for event_type, fields in PERSONAL_FIELDS.items():
        clear = " OR ".join(f"NOT starts_with(data->>'{name}', 'pii:')" for name in fields)
        while rows := await conn.fetch(
                f"SELECT psn_no, seq, data FROM person_events WHERE event_type = $1 AND ({clear})"
                " ORDER BY psn_no, seq LIMIT $2", event_type, _BATCH):
            sealed = []
            for row in rows:
                data = orjson.loads(row["data"])
                for name in fields:
                    if not is_sealed(data[name]):
                        data[name] = vault.seal(name, data[name])
                sealed.append(orjson.dumps(data).decode())
            await conn.execute(
                "UPDATE person_events AS e SET data = s.data FROM unnest($1::text[], $2::int[], $3::jsonb[])"
                " AS s(psn_no, seq, data) WHERE e.psn_no = s.psn_no AND e.seq = s.seq",
                [r["psn_no"] for r in rows], [r["seq"] for r in rows], sealed)
            changed += len(rows)
    return changed
