"""`Observability`: what a `ServiceRuntime` gets to be watched. Created by the runtime itself, so every
service process has it without a line in its bootstrap:

- FastStream's Prometheus middleware on the broker (`faststream_*`: records received and processed
  per topic, processing time, exceptions), beside the runtime's own consumer metrics;
- `/health`, `/ready`, `/metrics` and request metrics on the service's HTTP app (`install`);
- the outbox's depth and oldest row, measured every `OUTBOX_POLL_S` seconds (default 5);
- the readiness checks as `medins_ready{check}`, run every `READY_POLL_S` seconds (default 15);
- the process's metrics address written for Prometheus's file discovery (`PROMETHEUS_TARGETS_DIR`);
- the consumer-lag collector (`LAG_EXPORTER`: `on`, `off`, or `auto`, the default: the first process
  of the console and of enrollment, i.e. the one on the configured HTTP port);
- OpenTelemetry export when `OTEL_TRACES_EXPORTER` asks for it (libs/observability/tracing.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog
from fastapi import FastAPI
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import REGISTRY
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from libs.observability import endpoints, readiness, targets, tracing
from libs.observability.lag import LagCollector
from libs.observability.metrics import OUTBOX_DEPTH, OUTBOX_OLDEST

if TYPE_CHECKING:
    from libs.messaging.runtime import ServiceRuntime

log = structlog.get_logger("observability")

# The services whose first process measures consumer lag: the console (its Kafka principal describes
# every group) and enrollment (a follower, off the hospital's path; where Kafka's ACLs let it see only
# its own groups, it exports those). The recording rules take the maximum of what several export.
LAG_SERVICES = frozenset({"console", "enrollment"})


class ObservabilitySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    process_label: str = Field(default="", alias="PROCESS_LABEL")
    targets_dir: Path | None = Field(default=None, alias="PROMETHEUS_TARGETS_DIR")
    lag_exporter: str = Field(default="auto", alias="LAG_EXPORTER")
    lag_every_s: float = Field(default=10.0, gt=0, alias="LAG_EVERY_S")
    outbox_every_s: float = Field(default=5.0, gt=0, alias="OUTBOX_POLL_S")
    ready_every_s: float = Field(default=15.0, gt=0, alias="READY_POLL_S")


@lru_cache(maxsize=1)
def faststream_middleware() -> KafkaPrometheusMiddleware:
    """One per process: its metrics register once in the default registry."""
    return KafkaPrometheusMiddleware(registry=REGISTRY, app_name="medins")


class Observability:
    def __init__(self, runtime: ServiceRuntime, settings: ObservabilitySettings | None = None) -> None:
        self.runtime = runtime
        self.settings = settings or ObservabilitySettings()
        service = runtime.settings.service_name
        self.process = self.settings.process_label or service
        runtime.broker.add_middleware(faststream_middleware())
        tracing.configure(service)
        self.lag = LagCollector(runtime.settings.kafka_bootstrap, runtime.settings.topic_prefix,
                                self.settings.lag_every_s, self._kafka_options()) if self._measures_lag() else None
        self._target: Path | None = None
        self._outbox_task: asyncio.Task[None] | None = None
        self._ready_task: asyncio.Task[None] | None = None
        self.started_at = time.time()
        runtime.on_started.append(self._start)
        runtime.on_stopping.append(self._stop)

    def _measures_lag(self) -> bool:
        choice = self.settings.lag_exporter.strip().lower()
        if choice in ("on", "1", "true", "yes"):
            return True
        if choice != "auto":
            return False
        s = self.runtime.settings
        return s.service_name in LAG_SERVICES and bool(s.http_port) and not s.consume_only

    def _kafka_options(self) -> dict[str, Any]:
        """The process's own Kafka client options (credentials, backoff), as its relay's producer has them."""
        config = getattr(self.runtime._sender, "_config", {})
        return {k: v for k, v in config.items() if k not in ("bootstrap_servers", "client_id")}

    # -- HTTP ----------------------------------------------------------------------------------------------
    def install(self, app: FastAPI) -> FastAPI:
        return endpoints.install(app, self.alive, self.ready)

    def alive(self) -> dict[str, Any]:
        return {"service": self.runtime.settings.service_name, "process": self.process, "pid": os.getpid(),
                "up_seconds": round(time.time() - self.started_at, 1)}

    async def ready(self) -> dict[str, bool]:
        rt = self.runtime
        return await readiness.Readiness({
            "database": lambda: readiness.database_answers(rt.pool),
            "migrations": lambda: readiness.migrations_applied(rt.pool, rt.migrations),
            "kafka": lambda: readiness.kafka_answers(getattr(rt._sender, "_producer", None)),
            "consumers": lambda: readiness.consumers_assigned(rt.broker.subscribers),
        }).run()

    def http_started(self, host: str, port: int) -> None:
        if self.settings.targets_dir is not None:
            self._target = targets.announce(self.settings.targets_dir, self.runtime.settings.service_name,
                                            self.process, host, port)

    # -- background measurements ---------------------------------------------------------------------------
    async def _start(self, _: ServiceRuntime) -> None:
        self._outbox_task = asyncio.create_task(self._watch_outbox(), name="outbox-gauge")
        self._ready_task = asyncio.create_task(self._watch_readiness(), name="ready-gauge")
        if self.lag is not None:
            with contextlib.suppress(ValueError):  # already registered by another runtime of this process
                self.lag.register()
            self.lag.start()

    async def _stop(self, _: ServiceRuntime) -> None:
        if self._target is not None:
            targets.withdraw(self._target)
        for task in (self._outbox_task, self._ready_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self.lag is not None:
            await self.lag.stop()
            with contextlib.suppress(KeyError):
                self.lag.unregister()

    async def _watch_outbox(self) -> None:
        while True:
            try:
                await self.measure_outbox()
            except Exception as exc:  # the database away: /ready says so; keep the last figures
                log.warning("outbox_not_measured", error=repr(exc))
            await asyncio.sleep(self.settings.outbox_every_s)

    async def _watch_readiness(self) -> None:
        while True:
            readiness.record(await self.ready())  # never raises: a failing check is False
            await asyncio.sleep(self.settings.ready_every_s)

    async def measure_outbox(self) -> None:
        pool = self.runtime.pool
        if pool is None:
            return
        row = await pool.fetchrow(
            "SELECT count(*) AS depth, COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 AS oldest"
            " FROM outbox")
        if row is None:
            return
        OUTBOX_DEPTH.set(row["depth"])
        OUTBOX_OLDEST.set(max(0.0, row["oldest"]))
