"""What every service process has: a pool with its migrations applied, the broker, the outbox relay,
the inbox's retention (libs/messaging/retention.py).

`ServiceRuntime.app()` returns the FastStream application: start-up opens the pool and applies the
migrations before the broker starts consuming; shutdown stops consuming first (FastStream waits for
the batch in flight), then lets the relay publish what was committed, then closes the pool.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import asyncpg
import structlog
from fastapi import FastAPI
from faststream import FastStream
from faststream.kafka import KafkaBroker

from libs.contracts.registry import CARRIES
from libs.contracts.topics import Topic
from libs.db.migrations import migrate
from libs.db.pool import create_pool
from libs.http import HttpServer
from libs.messaging import postgres
from libs.messaging.answers import ANSWERS
from libs.messaging.consumer import BatchProcessor, Sealer, Select
from libs.messaging.dispatch import BatchTable, HandlerTable, batch_dispatcher, dispatcher
from libs.messaging.kafka import KafkaSender, make_broker, subscribe
from libs.messaging.records import OutgoingMessage
from libs.messaging.relay import OutboxRelay
from libs.messaging.retention import InboxPurger
from libs.observability import hooks
from libs.observability.service import Observability
from libs.settings import ServiceSettings

log = structlog.get_logger("runtime")

Hook = Callable[["ServiceRuntime"], Awaitable[None]]


class ServiceRuntime:
    def __init__(self, settings: ServiceSettings, migrations: Path) -> None:
        self.settings = settings
        self.migrations = {"messaging": postgres.MIGRATIONS, settings.service_name: migrations}
        credentials = settings.kafka  # the service's principal (libs/messaging/acl.py)
        self.broker: KafkaBroker = make_broker(settings.kafka_bootstrap, settings.service_name, credentials)
        self.database = postgres.PgDatabase(on_commit=self._wake_relay)
        self.pool: asyncpg.Pool | None = None
        self.relay: OutboxRelay | None = None
        self.purger: InboxPurger | None = None
        self._sender = KafkaSender(settings.kafka_bootstrap, f"{settings.service_name}-relay", credentials,
                                   settings.topic_prefix)
        self.on_started: list[Hook] = []
        self.on_stopping: list[Hook] = []
        self.observability = Observability(self)  # /metrics, /health, /ready, lag, tracing (docs/operations.md)
        self.processors: dict[str, BatchProcessor] = {}  # by consumer name: a dead letter's replay runs in it

    def serve_http(self, app: FastAPI) -> None:
        """Serve `app` on the service's `http_port` while the service runs."""
        port = self.settings.http_port
        if port is None:
            return
        server = HttpServer(self.observability.install(app), self.settings.http_host, port)

        async def start(_: ServiceRuntime) -> None:
            await server.start()
            self.observability.http_started(self.settings.http_host, server.port)

        async def stop(_: ServiceRuntime) -> None:
            await server.stop()

        self.on_started.append(start)
        self.on_stopping.append(stop)

    def consumes(self, topic: Topic) -> bool:
        """Whether this process runs the subscription to `topic` (`CONSUME_ONLY`, `CONSUME_EXCEPT`)."""
        only = {t.strip() for t in self.settings.consume_only.split(",") if t.strip()}
        excluded = {t.strip() for t in self.settings.consume_except.split(",") if t.strip()}
        return (not only or topic.name in only) and topic.name not in excluded

    def consume(self, topic: Topic, table: HandlerTable, batch: BatchTable | None = None, *,
                follower: bool = False, select: Select | None = None,
                sealer: Sealer | None = None) -> BatchProcessor | None:
        """Subscribe to `topic` with its own consumer group, handling the payload types in `table`;
        runs of consecutive messages of a type in `batch` go to that set-based handler instead.
        `follower`: a consumer off the hospital's path, which gathers each batch for
        `FOLLOWER_LINGER_MS` (fewer, larger batches: far less CPU a message, more lag). `select`: the
        records of interest by their headers; the others are passed over undecoded (consumer.py). A type
        the topic does not carry is dead-lettered; an undecodable request on a topic with an answer
        (libs/messaging/answers.py) is refused to its sender.
        None when this process leaves the topic to another process of the service (`consumes`): the
        consumer's processor is built all the same, so that any process of the service can replay the
        consumer's dead letters (dead_letter_api.py; the effect goes through the shared database)."""
        handler, accepted = dispatcher(table)
        consumer = f"{self.settings.service_name}-{topic.name}"
        carried = frozenset(model.event_type for model in CARRIES[topic.name])
        if accepted - carried:
            raise ValueError(f"{consumer} handles types {topic.name} does not carry: {sorted(accepted - carried)}")
        answer = ANSWERS.get(topic.name)
        processor = BatchProcessor(consumer, self.database, handler, accepted, batch_dispatcher(batch, accepted),
                                   select=select, carried=carried,
                                   answer=answer(self.settings.service_name) if answer else None,
                                   sealer=sealer)
        self.processors[consumer] = processor
        if not self.consumes(topic):
            return None  # another process of the service consumes it
        subscribe(self.broker, topic, processor, group_id=consumer, topic_prefix=self.settings.topic_prefix,
                  max_records=self.settings.batch_max_records, batch_timeout_ms=self.settings.batch_timeout_ms,
                  linger_ms=self.settings.follower_linger_ms if follower else 0)
        return processor

    def _wake_relay(self, committed: list[tuple[int, OutgoingMessage]]) -> None:
        hooks.committed(committed)
        if self.relay is not None:
            self.relay.hand_over(committed)

    async def start(self) -> None:
        self.pool = await create_pool(self.settings.database_dsn, max_size=self.settings.pool_max_size)
        async with self.pool.acquire() as conn:
            applied = await migrate(conn, self.migrations)
        self.database.pool = self.pool
        await self._sender.start()
        self.relay = OutboxRelay(self.pool, self._sender)
        self.relay.start()
        self.purger = InboxPurger(self.pool, timedelta(days=self.settings.inbox_retention_days),
                                  self.settings.inbox_purge_every_s)
        self.purger.start()
        for hook in self.on_started:
            await hook(self)
        log.info("started", migrations_applied=applied)

    async def stop(self) -> None:
        for hook in self.on_stopping:
            await hook(self)
        if self.purger is not None:
            await self.purger.stop()
        if self.relay is not None:
            await self.relay.stop()
        await self._sender.stop()
        if self.pool is not None:
            await self.pool.close()
        log.info("stopped")

    def app(self) -> FastStream:
        app = FastStream(self.broker, logger=log)
        app.on_startup(self.start)
        app.after_shutdown(self.stop)
        return app
