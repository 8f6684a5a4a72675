"""Finding Kafka and Postgres for tests, in order: the environment, the native stack.

1. `KAFKA_BOOTSTRAP` and `PGHOST` set: use those servers.
2. Otherwise: `deploy/stack.sh up` starts the project's own Kafka and Postgres (idempotent).

Kafka authenticates every client (SASL/SCRAM, docs/security.md): the session first makes sure every
principal's credential and the ACL table are on the broker (as admin, from the secrets file), as
`make up` does. (The testcontainers path is gone: its Kafka image has no SASL users; the native stack
is the test stack, docker-compose.yml the container one.)

Each test session then works in its own namespace: topics and databases prefixed with a run id, so a
developer's `make run` data on the same servers is never touched; the namespace's topics get the ACL
table's entries for their prefixed names, removed with them.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg

from deploy.launch import SERVICES  # re-exported: listed once, where the launchers read it
from libs.messaging.admin import delete_topics, ensure_security, ensure_topics
from libs.settings import StackSettings

ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def servers() -> Iterator[StackSettings]:
    if not (os.environ.get("KAFKA_BOOTSTRAP") and os.environ.get("PGHOST")):
        subprocess.run([str(ROOT / "deploy" / "stack.sh"), "up"], check=True)
    settings = StackSettings()
    ensure_security(settings.kafka_bootstrap)
    yield settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Namespace:
    """A test run's own topics and databases on shared servers."""

    def __init__(self, stack: StackSettings) -> None:
        self.stack = stack
        self.prefix = f"t{uuid.uuid4().hex[:8]}_"
        self.http_ports = {service: free_port() for service in SERVICES}

    @property
    def env(self) -> dict[str, str]:
        s = self.stack
        return {
            "KAFKA_BOOTSTRAP": s.kafka_bootstrap, "PGHOST": s.pghost, "PGPORT": str(s.pgport),
            "PGUSER": s.pguser, "PGPASSWORD": s.pgpassword,
            "TOPIC_PREFIX": self.prefix.replace("_", "."), "DB_PREFIX": self.prefix,
        }

    @property
    def process_env(self) -> dict[str, str]:
        """`env` plus a free HTTP port for each service, for running all four as processes."""
        return {
            **self.env,
            **{f"{service.upper()}_HTTP_PORT": str(port) for service, port in self.http_ports.items()},
            "SETTLEMENT_URL": f"http://127.0.0.1:{self.http_ports['settlement']}",
        }

    @property
    def topic_prefix(self) -> str:
        return self.env["TOPIC_PREFIX"]

    def dsn(self, service: str) -> str:
        return self.stack.dsn(self.prefix + service)

    async def create(self) -> None:
        conn = await asyncpg.connect(self.stack.dsn("postgres"))
        try:
            for service in SERVICES:
                await conn.execute(f'CREATE DATABASE "{self.prefix}{service}"')
        finally:
            await conn.close()
        await ensure_topics(self.stack.kafka_bootstrap, self.topic_prefix, namespace_acls=True)

    async def drop(self) -> None:
        conn = await asyncpg.connect(self.stack.dsn("postgres"))
        try:
            for service in SERVICES:
                await conn.execute(f'DROP DATABASE IF EXISTS "{self.prefix}{service}" WITH (FORCE)')
        finally:
            await conn.close()
        await delete_topics(self.stack.kafka_bootstrap, self.topic_prefix)
