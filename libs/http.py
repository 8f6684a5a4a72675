"""A service's small HTTP API (FastAPI on uvicorn) running in the same event loop as its consumers.

The FastStream application owns the process's signals; uvicorn's own signal handling is switched
off so a SIGTERM stops consuming first, then the HTTP server, then the pool (see ServiceRuntime).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI


class _EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class HttpServer:
    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        config = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False, lifespan="off")
        self._server = _EmbeddedServer(config)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._server.serve(), name="http")
        while not self._server.started:
            if self._task.done():
                self._task.result()  # raises why it could not start (port in use...)
            await asyncio.sleep(0.02)

    @property
    def port(self) -> int:
        """The port it listens on (the system's choice when configured with 0)."""
        return int(self._server.servers[0].sockets[0].getsockname()[1])

    async def stop(self) -> None:
        self._server.should_exit = True
        if self._task is not None:
            await self._task
