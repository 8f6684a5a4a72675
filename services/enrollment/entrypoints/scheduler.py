"""The daily snapshot refresh, run in the service process every `interval` seconds while it runs."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

import structlog

from libs.messaging.runtime import ServiceRuntime
from services.enrollment.service_layer.handlers import EnrollmentService
from services.enrollment.service_layer.refresh import refresh_snapshots
from services.enrollment.service_layer.translate import business_day

log = structlog.get_logger("snapshot_refresh")


def refresh_periodically(runtime: ServiceRuntime, service: EnrollmentService, interval: float) -> None:
    if interval <= 0:
        return
    task: asyncio.Task[None] | None = None

    async def loop() -> None:
        while True:
            today = business_day(datetime.now(UTC))
            try:
                published = await refresh_snapshots(runtime.database, service.store_for, today)
                if published:
                    log.info("snapshots_refreshed", published=published, on=today.isoformat())
            except Exception:  # nothing was committed for the failed batch; the next round takes it again
                log.exception("snapshot_refresh_failed")
            await asyncio.sleep(interval)

    async def start(_: ServiceRuntime) -> None:
        nonlocal task
        task = asyncio.create_task(loop(), name="snapshot-refresh")

    async def stop(_: ServiceRuntime) -> None:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    runtime.on_started.append(start)
    runtime.on_stopping.append(stop)
