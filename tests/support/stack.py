"""Finding Kafka and Postgres for tests, in order: the environment, testcontainers, the native stack.

1. `KAFKA_BOOTSTRAP` and `PGHOST` set: use those servers.
2. A Docker daemon answers: testcontainers starts docker-compose.yml's own `kafka` and `postgres`
   (the same pinned images, SASL/SCRAM broker configuration and per-service Postgres roles as a user's
   `docker compose up`), with the secrets file generated first; they are removed with their volumes
   at the end of the session.
3. Otherwise: `deploy/stack.sh up` starts the project's own Kafka and Postgres (idempotent).

Kafka authenticates every client (SASL/SCRAM, docs/security.md): the session first makes sure every
principal's credential and the ACL table are on the broker (as admin, from the secrets file), as
`make up` does.

Each test session then works in its own namespace: topics and databases prefixed with a run id, so a
developer's `make run` data on the same servers is never touched; the namespace's topics get the ACL
table's entries for their prefixed names, removed with them.
"""

from __future__ import annotations

import contextlib
import os
import random
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

from pydantic_settings import BaseSettings

from deploy.launch import SERVICES  # re-exported: listed once, where the launchers read it
from libs.db.provision import create_service_database, drop_service_database
from libs.messaging.admin import delete_topics, ensure_security, ensure_topics
from libs.settings import StackSettings

ROOT = Path(__file__).resolve().parents[2]
SettingsT = TypeVar("SettingsT", bound=BaseSettings)


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=2).ping()
        return True
    except Exception:
        return False


@contextlib.contextmanager
def _compose_servers() -> Iterator[None]:
    """docker-compose.yml's broker and database (not the services: the tests start those themselves)."""
    from testcontainers.compose import DockerCompose

    subprocess.run([sys.executable, str(ROOT / "deploy" / "secrets.py"), "ensure"], check=True,
                   env={**os.environ, "SECRETS_FILE": str(ROOT / ".stack" / "secrets.env")})
    with DockerCompose(ROOT, services=["kafka", "postgres"], wait=True):
        os.environ.update({
            "KAFKA_BOOTSTRAP": "127.0.0.1:19092", "PGHOST": "127.0.0.1", "PGPORT": "54329",
            "PGUSER": "owner", "PGPASSWORD": "", "SECRETS_FILE": str(ROOT / ".stack" / "secrets.env"),
        })  # the addresses compose publishes for host tools (docker-compose.yml)
        yield


@contextlib.contextmanager
def servers() -> Iterator[StackSettings]:
    with contextlib.ExitStack() as stack:
        if not (os.environ.get("KAFKA_BOOTSTRAP") and os.environ.get("PGHOST")):
            if _docker_answers():
                stack.enter_context(_compose_servers())
            else:
                subprocess.run([str(ROOT / "deploy" / "stack.sh"), "up"], check=True)
        settings = StackSettings()
        ensure_security(settings.kafka_bootstrap)
        yield settings


_GIVEN: set[int] = set()  # ports handed out by this test run: a namespace's port is never another's


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def free_port() -> int:
    """A port nothing listens on, for a server a test starts, chosen BELOW the kernel's ephemeral range.
    A port from that range (what binding port 0 gives) may, before the server binds it, become the source
    port of some process's outgoing connection (a Kafka or Postgres client), and the server's bind then
    fails with "address already in use" (seen in CI: clearing's HTTP port). The kernel never gives a
    source port below the range."""
    low = _ephemeral_low()
    rng = random.Random()
    for _ in range(2000):
        port = rng.randrange(20000, low)
        if port in _GIVEN:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        _GIVEN.add(port)
        return port
    raise RuntimeError(f"no free port between 20000 and {low}")


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
            # Empty: each service as its own role, with its password from the secrets file.
            "PGUSER": "", "PGPASSWORD": "",
            "TOPIC_PREFIX": self.prefix.replace("_", "."), "DB_PREFIX": self.prefix,
        }

    @property
    def process_env(self) -> dict[str, str]:
        """`env` plus a free HTTP port for each service, for running all four as processes."""
        return {
            **self.env,
            **{f"{service.upper()}_HTTP_PORT": str(port) for service, port in self.http_ports.items()},
            "SETTLEMENT_URL": f"http://127.0.0.1:{self.http_ports['settlement']}",
            "ENROLLMENT_URL": f"http://127.0.0.1:{self.http_ports['enrollment']}",
            "WALLET_URL": f"http://127.0.0.1:{self.http_ports['wallet']}",
        }

    def settings(self, kind: type[SettingsT], **more: object) -> SettingsT:
        """A service's settings in this namespace: `env` and `more` (by the variables' names) over the
        process's environment, as the service reads them at start-up."""
        values: dict[str, Any] = {**self.env, **more}  # pydantic validates each; mypy sees no field by alias
        return kind(**values)

    @property
    def topic_prefix(self) -> str:
        return self.env["TOPIC_PREFIX"]

    def dsn(self, service: str) -> str:
        """The service's database in this namespace, as the service's own role."""
        return self.stack.dsn(self.prefix + service, user=service)

    async def create(self) -> None:
        for service in SERVICES:  # owned by the service's role, closed to the others (docs/database-roles.md)
            await create_service_database(self.stack.dsn("postgres"), self.prefix + service, service)
        await ensure_topics(self.stack.kafka_bootstrap, self.topic_prefix, namespace_acls=True)

    async def drop(self) -> None:
        for service in SERVICES:
            await drop_service_database(self.stack.dsn("postgres"), self.prefix + service)
        await delete_topics(self.stack.kafka_bootstrap, self.topic_prefix)
