"""The audit log of commands taken from a topic (offices' and holders' systems write enrollment.commands
and wallet.commands): one row per command handled, in the transaction that handled it, so a command
whose effect is rolled back leaves no row and a redelivered one is not counted twice.

Who: the consumer cannot see the producing principal, but the broker authenticated it and the ACL table
(libs/messaging/acl.py) names the only principals that may write the topic; those are the proven part
of the subject, and the envelope's `producer` (the system's own, declared name) follows it, marked as
such: `kafka:offices as office-430100`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from libs.audit.identity import printable, target
from libs.contracts.envelope import Envelope
from libs.contracts.topics import Topic
from libs.messaging.acl import ADMIN, writers
from libs.messaging.ports import Transaction

Handler = Callable[[Transaction, Envelope[Any]], Awaitable[Any]]


def audited(table: dict[type, Handler], topic: Topic) -> dict[type, Handler]:
    """The same handlers, each also writing its command's audit row (the answer's `reason_code`, if any,
    is the result)."""
    return {model: _audited(handler, topic) for model, handler in table.items()}


def _audited(handler: Handler, topic: Topic) -> Handler:
    async def handle(tx: Transaction, env: Envelope[Any]) -> Any:
        answer = await handler(tx, env)
        await record_command(tx, env, topic, getattr(answer, "reason_code", None))
        return answer

    return handle


def subject(topic: Topic, producer: str) -> str:
    """Who wrote a command: the principals the broker lets write the topic, then the declared producer."""
    return printable(f"kafka:{'|'.join(writers(topic)) or ADMIN} as {producer}")


async def record_command(tx: Transaction, env: Envelope[Any], topic: Topic, reason_code: str | None) -> None:
    row = {"subject": subject(topic, env.producer), "channel": "kafka", "method": env.payload.event_type,
           "route": topic.name, "action": env.payload.event_type, "code": reason_code or "DONE",
           "target": target(env.payload.model_dump(mode="json"), {})}
    conn: Any = getattr(tx, "conn", None)  # the concrete transaction's (the port has none): Postgres, or a fake's dict
    if hasattr(conn, "execute"):
        await conn.execute(
            "INSERT INTO audit_log (subject, channel, method, route, action, target, code, finished_at)"
            " VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, now())", row["subject"], row["channel"], row["method"],
            row["route"], row["action"], orjson.dumps(row["target"]).decode(), row["code"])
    elif isinstance(conn, dict):  # the fake database of unit tests
        conn.setdefault("audit_log", []).append(row)
