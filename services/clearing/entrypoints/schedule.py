"""The closing schedule: a background task that closes every cycle whose period has ended.

Each tick asks the service layer to close the due cycles, each in its own transaction. A tick that
fails is logged and the next tick tries again, so a cycle is closed late rather than never; two
clearing processes ticking together close a cycle once (the second finds it closed).
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from libs.messaging.runtime import ServiceRuntime
from services.clearing.service_layer.service import ClearingService

log = structlog.get_logger("schedule")


class ClosingSchedule:
    def __init__(self, service: ClearingService, interval_seconds: float) -> None:
        self.service = service
        self.interval = interval_seconds
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def register(self, runtime: ServiceRuntime) -> None:
        runtime.on_started.append(self.start)
        runtime.on_stopping.append(self.stop)

    async def start(self, _: ServiceRuntime | None = None) -> None:
        self._stop.clear()
        self._task = asyncio.create_task(self._run(), name="closing-schedule")

    async def stop(self, _: ServiceRuntime | None = None) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task

    async def tick(self) -> None:
        for closing in await self.service.close_due():
            log.info("cycle_closed", cycle_id=closing.closed.cycle_id, reason="schedule",
                     next_cycle_id=closing.next_cycle.cycle_id, regions=len(closing.net_positions))

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await self.tick()
            except Exception:
                log.exception("schedule_tick_failed", retry_in_seconds=self.interval)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=self.interval)
