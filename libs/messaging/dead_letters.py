"""A service's dead letters as an operator sees them: the rows, the original record, masked.

The `dead_letters` row keeps the parked record itself where the database has bad-input's migration
004; otherwise only where it came from, and the bytes are read back from that position of the source
topic (Kafka keeps them for its retention, 7 days). Either way replaying sends exactly what was
received. Personal data is masked before anything leaves the service.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from libs.masking import mask_text, mask_value
from libs.messaging.records import Record

STATUSES = ("open", "replayed", "discarded", "all")
# d.*: with bad-input's migration 004 the row also keeps the record itself (message_id, key, value, headers)
_COLUMNS = "d.*, a.action, a.actor, a.actor_role, a.note, a.at, a.replayed_event_id"
_WHERE = {"open": "a.action IS NULL", "replayed": "a.action = 'replayed'", "discarded": "a.action = 'discarded'",
          "all": "true"}
PERSON_KEYS = frozenset({"psn_no"})


def logical_topic(topic: str, prefix: str) -> str:
    """The outbox keeps topic names without the namespace prefix the relay adds."""
    return topic[len(prefix):] if prefix and topic.startswith(prefix) else topic


def mask_person(value: str) -> str:
    """人员编号: the first two and last two characters are enough to tell two people apart on a screen."""
    return value[:2] + "*" * max(len(value) - 4, 1) + value[-2:] if len(value) > 4 else "*" * len(value)


def masked(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: masked(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v, key) for v in value]
    if key in PERSON_KEYS and isinstance(value, str):
        return mask_person(value)
    return mask_value(key, value)


def row_view(row: Any, prefix: str) -> dict[str, Any]:
    return {
        "id": row["id"], "consumer": row["consumer"], "topic": logical_topic(row["topic"], prefix),
        "partition": row["partition"], "offset": row["offset"], "reason": mask_text(row["reason"]),
        "parked_at": row["created_at"].isoformat(),
        "status": row["action"] or "open",
        "action": None if row["action"] is None else {
            "action": row["action"], "actor": row["actor"], "actor_role": row["actor_role"], "note": row["note"],
            "at": row["at"].isoformat(),
            "replayed_event_id": str(row["replayed_event_id"]) if row["replayed_event_id"] else None,
        },
    }


async def list_rows(conn: Any, status: str, limit: int, offset: int) -> tuple[int, list[Any]]:
    where = _WHERE[status]
    base = f" FROM dead_letters d LEFT JOIN dead_letter_actions a ON a.dead_letter_id = d.id WHERE {where}"
    total = await conn.fetchval("SELECT count(*)" + base)
    rows = await conn.fetch(f"SELECT {_COLUMNS}{base} ORDER BY d.id DESC LIMIT $1 OFFSET $2", limit, offset)
    return total, rows


async def counts(conn: Any) -> dict[str, int]:
    rows = await conn.fetch("SELECT coalesce(a.action, 'open') AS status, count(*) AS n FROM dead_letters d"
                            " LEFT JOIN dead_letter_actions a ON a.dead_letter_id = d.id GROUP BY 1")
    return {"open": 0, "replayed": 0, "discarded": 0} | {r["status"]: r["n"] for r in rows}


async def one_row(conn: Any, dead_letter_id: int, *, lock: bool = False) -> Any:
    return await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM dead_letters d LEFT JOIN dead_letter_actions a ON a.dead_letter_id = d.id"
        f" WHERE d.id = $1{' FOR UPDATE OF d' if lock else ''}", dead_letter_id)


async def record_action(conn: Any, dead_letter_id: int, action: str, actor: str, role: str, note: str,
                        replayed_event_id: str | None = None) -> datetime:
    at: datetime = await conn.fetchval(
        "INSERT INTO dead_letter_actions (dead_letter_id, action, actor, actor_role, note, replayed_event_id)"
        " VALUES ($1, $2, $3, $4, $5, $6::uuid) RETURNING at",
        dead_letter_id, action, actor, role, note, replayed_event_id)
    return at


def keeps_records(row: Any) -> bool:
    """Whether this database's dead letters keep the record (and take its id out of the inbox when it
    was parked: libs/messaging/migrations/004), rather than only its position."""
    return "message_id" in row.keys()  # noqa: SIM118 - an asyncpg Record's `in` looks at its values


def stored_record(row: Any) -> Record | None:
    """The record as the row keeps it, when it does (not for a quarantined row, which has only its place)."""
    if not keeps_records(row) or row["value"] is None or row.get("quarantined"):
        return None
    headers = row["headers"]
    headers = orjson.loads(headers) if isinstance(headers, (str, bytes)) else (headers or {})
    return Record(row["topic"], row["partition"], row["offset"], row["key"], bytes(row["value"]),
                  tuple((k, str(v).encode()) for k, v in headers.items()))


async def read_original(client_options: dict[str, Any], topic: str, partition: int, offset: int,
                        timeout_ms: int = 5000) -> Record | None:
    """The record at `offset`, or None once the topic's retention removed it."""
    consumer = AIOKafkaConsumer(**client_options, group_id=None, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await consumer.start()
    try:
        tp = TopicPartition(topic, partition)
        consumer.assign([tp])
        if (await consumer.beginning_offsets([tp]))[tp] > offset:
            return None
        consumer.seek(tp, offset)
        found = await consumer.getmany(tp, timeout_ms=timeout_ms, max_records=1)
        for r in found.get(tp, []):
            if r.offset == offset:
                return Record(r.topic, r.partition, r.offset, r.key, r.value, tuple(r.headers or ()))
        return None
    finally:
        await consumer.stop()


def message_view(record: Record) -> dict[str, Any]:
    """The original message with personal data masked: its envelope's metadata and payload, or its
    text when it is not JSON."""
    headers = {k: mask_text(v.decode("utf-8", "replace")) for k, v in record.headers}
    key = mask_person((record.key or b"").decode("utf-8", "replace"))
    try:
        body = orjson.loads(record.value or b"")
    except orjson.JSONDecodeError:
        return {"key": key, "headers": headers, "json": None,
                "text": mask_text((record.value or b"")[:4000].decode("utf-8", "replace"))}
    return {"key": key, "headers": headers, "json": masked(body), "text": None}


def event_id_of(record: Record) -> str | None:
    """The envelope's event id, the id a consumer's inbox keeps (None for undecodable bytes)."""
    try:
        body = orjson.loads(record.value or b"")
    except orjson.JSONDecodeError:
        return None
    event_id = body.get("event_id") if isinstance(body, dict) else None
    return event_id if isinstance(event_id, str) else None
