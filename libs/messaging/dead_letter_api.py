"""Dead letters over HTTP, a router every service mounts: list, show (masked), replay, discard.

    mount_dead_letters(app, runtime)   # in the service's bootstrap, one line

- `GET  /v1/dead-letters?status=open&limit=50&offset=0`  the service's dead letters, newest first
- `GET  /v1/dead-letters/summary`                          how many are open, replayed, discarded
- `GET  /v1/dead-letters/{id}`                             one, with the original message masked
- `POST /v1/dead-letters/{id}/replay   {"note": "..."}`    process the original record again in the
  consumer that parked it (its own transaction: inbox, handlers, outbox), after the fix
- `POST /v1/dead-letters/{id}/discard  {"note": "..."}`    close it without replaying; a note is required

Reading needs an operator, auditor or service token; acting needs an operator. Every action is
recorded with the operator's identity (`dead_letter_actions`) and logged.

Why not republish to the source topic: Kafka's ACLs (libs/messaging/acl.py) let a service write only
the topics it produces, and a replay is for the one consumer that failed, not for every group of the
topic. The record goes through that consumer's `BatchProcessor` as a delivery would; it answers
`FAILED_AGAIN` (409) when the record is parked again. Every process of a service builds every one of its
consumers' processors, also those another process subscribes (`SPLIT_CONSUMERS`: settlement's
`wallet.payments`), so whichever process the console reaches replays any of the service's dead letters.
On a database from before migration 004 the replay first forgets the message id in that consumer's inbox
(the parking transaction had claimed it, and nothing of its effect was kept); from 004 on the consumer
does that itself.
"""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path
from typing import Any, cast

import structlog
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query
from pydantic import BaseModel, Field

from libs.auth import Role, require
from libs.messaging import dead_letters as dl

log = structlog.get_logger("dead_letters")

MIGRATIONS = Path(__file__).parent / "dead_letter_migrations"
PREFIX = "/v1/dead-letters"
READERS = frozenset({Role.operator, Role.auditor, Role.service})
OPERATORS = frozenset({Role.operator})
# Who may call each route, as a service's role table writes it (the gateway's table is this alone).
ACCESS: dict[str, frozenset[Role]] = {
    f"GET {PREFIX}": READERS,
    f"GET {PREFIX}/summary": READERS,
    f"GET {PREFIX}/{{dead_letter_id}}": READERS,
    f"POST {PREFIX}/{{dead_letter_id}}/replay": OPERATORS,
    f"POST {PREFIX}/{{dead_letter_id}}/discard": OPERATORS,
}


class ActionRequest(BaseModel):
    note: str = Field(default="", max_length=500, description="Why: the fix deployed, or why it is discarded.")


def _refuse(status: int, code: str, message: str) -> HTTPException:
    return HTTPException(status, {"code": code, "message": message})


def dead_letter_router(runtime: Any) -> APIRouter:
    """The routes, reading and writing through the service's runtime (pool, outbox, settings)."""
    settings = runtime.settings
    prefix = settings.topic_prefix
    readers = require(*READERS)
    operators = require(*OPERATORS)
    router = APIRouter(prefix=PREFIX, tags=["dead letters"])

    def pool() -> Any:
        if runtime.pool is None:
            raise _refuse(503, "NOT_READY", "The service is starting.")
        return runtime.pool

    async def original(row: Any) -> Any:
        record = dl.stored_record(row)
        processor = runtime.processors.get(row["consumer"])
        sealer = getattr(processor, "sealer", None)
        if record is not None and record.value and sealer is not None:
            record = dataclasses.replace(record, value=sealer.open(record.value))  # masked when shown
        record = record or await dl.read_original(
            kafka_options(runtime), row["topic"], row["partition"], row["offset"])
        if record is None:
            raise _refuse(410, "SOURCE_GONE", f"The message at {row['topic']}/{row['partition']}@{row['offset']}"
                                              " is no longer in Kafka (retention); it cannot be shown or replayed.")
        return record

    @router.get("")
    async def list_dead_letters(status: str = Query("open", pattern="^(open|replayed|discarded|all)$"),
                                limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0),
                                _: Any = Depends(readers)) -> dict[str, Any]:
        async with pool().acquire() as conn:
            total, rows = await dl.list_rows(conn, status, limit, offset)
        return {"service": settings.service_name, "status": status, "total": total, "limit": limit,
                "offset": offset, "items": [dl.row_view(r, prefix) for r in rows]}

    @router.get("/summary")
    async def summary(_: Any = Depends(readers)) -> dict[str, Any]:
        async with pool().acquire() as conn:
            return {"service": settings.service_name, **await dl.counts(conn)}

    @router.get("/{dead_letter_id}")
    async def show(dead_letter_id: int, _: Any = Depends(readers)) -> dict[str, Any]:
        async with pool().acquire() as conn:
            row = await dl.one_row(conn, dead_letter_id)
        if row is None:
            raise _refuse(404, "DEAD_LETTER_NOT_FOUND", f"No dead letter {dead_letter_id} in {settings.service_name}.")
        view = dl.row_view(row, prefix)
        try:
            view["message"] = dl.message_view(await original(row))
        except HTTPException as gone:
            view["message"], view["message_problem"] = None, gone.detail
        return {"service": settings.service_name, **view}

    @router.post("/{dead_letter_id}/replay")
    async def replay(dead_letter_id: int, body: ActionRequest, who: Any = Depends(operators)) -> dict[str, Any]:
        async with pool().acquire() as conn:
            row = await dl.one_row(conn, dead_letter_id)
        _check_open(row, dead_letter_id, settings.service_name)
        processor = runtime.processors.get(row["consumer"])
        if processor is None:  # every process of the service builds each of its consumers (runtime.consume)
            raise _refuse(409, "CONSUMER_NOT_HERE", f"{settings.service_name} has no consumer {row['consumer']} "
                                                    "any more; it cannot be replayed (discard it with a note).")
        record = await original(row)
        message_id = dl.event_id_of(record)
        if message_id is not None and not dl.keeps_records(row):
            # before migration 004 the consumer kept a parked message's id in its inbox, where the parking
            # transaction itself had claimed it; from 004 on the consumer takes it out (and keeps it when it
            # is an earlier message's id: a changed body, which must not pass)
            async with pool().acquire() as conn:
                await conn.execute("DELETE FROM inbox WHERE consumer = $1 AND message_id = $2", row["consumer"],
                                   message_id)
        stats = await processor.process([record])  # the consumer's own path: inbox, handlers, outbox
        if stats.dead_lettered:
            raise _refuse(409, "FAILED_AGAIN", f"{row['consumer']} could not process it this time either; it is "
                                               "still a dead letter (see the service's log for the reason).")
        async with pool().acquire() as conn:
            at = await dl.record_action(conn, dead_letter_id, "replayed", who.subject, str(who.role), body.note,
                                        _uuid_or_new(message_id))
        log.info("dead_letter_replayed", audit=True, dead_letter_id=dead_letter_id, consumer=row["consumer"],
                 source=f"{row['topic']}/{row['partition']}@{row['offset']}", actor=who.subject, role=str(who.role),
                 note=body.note, handled=stats.handled, duplicates=stats.duplicates)
        return {"id": dead_letter_id, "status": "replayed", "topic": dl.logical_topic(row["topic"], prefix),
                "event_id": message_id, "handled": stats.handled, "duplicates": stats.duplicates,
                "actor": who.subject, "at": at.isoformat()}

    @router.post("/{dead_letter_id}/discard")
    async def discard(dead_letter_id: int, body: ActionRequest, who: Any = Depends(operators)) -> dict[str, Any]:
        if len(body.note.strip()) < 3:
            raise _refuse(422, "NOTE_REQUIRED", "Say why the message is discarded (a note of a few words).")
        async with runtime.database.transaction() as tx:
            row = await dl.one_row(tx.conn, dead_letter_id, lock=True)
            _check_open(row, dead_letter_id, settings.service_name)
            at = await dl.record_action(tx.conn, dead_letter_id, "discarded", who.subject, str(who.role),
                                        body.note.strip())
        log.info("dead_letter_discarded", audit=True, dead_letter_id=dead_letter_id, consumer=row["consumer"],
                 actor=who.subject, role=str(who.role), note=body.note.strip())
        return {"id": dead_letter_id, "status": "discarded", "actor": who.subject, "at": at.isoformat()}

    return router


def _check_open(row: Any, dead_letter_id: int, service: str) -> None:
    if row is None:
        raise _refuse(404, "DEAD_LETTER_NOT_FOUND", f"No dead letter {dead_letter_id} in {service}.")
    if row["action"] is not None:
        raise _refuse(409, "ALREADY_RESOLVED", f"Dead letter {dead_letter_id} was already {row['action']}"
                                               f" by {row['actor']}.")


def _uuid_or_new(text: str | None) -> str:
    try:
        return str(uuid.UUID(text)) if text else str(uuid.uuid4())
    except ValueError:
        return str(uuid.uuid4())


def kafka_options(runtime: Any) -> dict[str, Any]:
    """The service's own Kafka client settings: its principal's SASL credentials where the platform's
    clients authenticate (libs/messaging/connection.py), else the plain broker address."""
    base = {"bootstrap_servers": runtime.settings.kafka_bootstrap}
    credentials = getattr(runtime.settings, "kafka", None)
    try:
        from libs.messaging.connection import client_options
    except ImportError:
        return base
    return {**base, **client_options(credentials)} if credentials is not None else base


def mount_dead_letters(app: FastAPI, runtime: Any) -> FastAPI:
    """Serve the routes on `app` and have the runtime apply their table's migration."""
    runtime.migrations.setdefault("dead_letters", MIGRATIONS)
    app.include_router(dead_letter_router(runtime))
    refused = _access_refused()
    if refused is not None and refused not in app.exception_handlers:  # an app libs.http did not harden
        app.add_exception_handler(refused, lambda _request, exc: exc.response())
    return app


def _access_refused() -> type[Exception] | None:
    """libs/auth's refusal exception, which its `require` raises (the interim raises HTTPException)."""
    try:
        from libs.auth import AccessRefused
    except ImportError:
        return None
    return cast(type[Exception], AccessRefused)
