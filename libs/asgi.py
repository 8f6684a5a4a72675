"""ASGI plumbing shared by the HTTP middlewares (the body limit in libs/http.py, the audit log)."""

from __future__ import annotations

from starlette.types import Message, Receive


def replaying(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the application the body a middleware already read, then the rest of the
    connection's messages (a disconnect) as they come."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
