"""Nonces are needed only within the signature window, files (9101/3202) until their download deadline,
e-vouchers until they expire: older ones are deleted every minute."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import structlog

from libs.messaging.postgres import PgDatabase
from services.gateway.adapters.repository import PgGatewayStore

log = structlog.get_logger("gateway.housekeeping")


class NoncePurger:
    def __init__(self, database: PgDatabase, window_s: float, every_s: float = 60.0) -> None:
        self.database, self.keep, self.every_s = database, timedelta(seconds=2 * window_s), every_s
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="nonce-purge")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.every_s)
            try:
                async with self.database.transaction() as tx:
                    store = PgGatewayStore(tx.conn)
                    await store.purge_nonces(datetime.now(UTC) - self.keep)
                    await store.purge_files(datetime.now(UTC))
                    await store.purge_e_vouchers(datetime.now(UTC) - self.keep)
            except Exception as exc:  # the next round tries again; neither a replay check nor a download depends on it
                log.warning("nonce_purge_failed", error=repr(exc))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
