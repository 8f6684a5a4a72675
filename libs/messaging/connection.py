"""How every Kafka client of the platform connects: SASL/SCRAM as a principal, with backoff.

Light on purpose (aiokafka and the settings only): the hospital client and the tools import it
without the service runtime. `ActingProducer` is for tools that play the platform's clients.
"""

from __future__ import annotations

import asyncio
import inspect
import ssl
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.client import AIOKafkaClient
from aiokafka.helpers import create_ssl_context

from libs.contracts.topics import Topic
from libs.settings import KafkaCredentials, StackSettings

# During a broker outage a client retries: metadata, connections, the group coordinator. aiokafka's
# default 100 ms between retries (and 0 for some paths) made a process spin; these bound the rate at
# which any client of the platform knocks on a closed door (docs/security.md, tested by
# tests/kafka/test_broker_outage.py). Connections themselves are not retried faster than
# `retry_backoff_ms` either: aiokafka waits that long after a failed metadata round.
BACKOFF: dict[str, int] = {
    "retry_backoff_ms": 500,
    "request_timeout_ms": 30_000,
    "metadata_max_age_ms": 60_000,
}


def pace_metadata_rounds(client_class: Any = AIOKafkaClient) -> None:
    """A client's metadata rounds start at least `retry_backoff_ms` apart, as the Java client's do.

    aiokafka refreshes metadata as often as it is asked, and its fetcher asks again as soon as a round
    ends while a partition of its assignment has no leader. Metadata read during the broker's controlled
    shutdown names none (the only replica is leaving), so once the broker has gone a consumer failed a
    round on the refused connection and started the next at once: a full core until the broker came back
    (CI, settlement's process; aio-libs/aiokafka#1155 is the same spin on the fetch path). Paced, such a
    loop waits; the first round and any round after a quiet `retry_backoff_ms` are not delayed.
    """
    update = client_class._metadata_update
    if getattr(update, "paced", False):
        return
    if list(inspect.signature(update).parameters) != ["self", "cluster_metadata", "topics"]:
        raise RuntimeError("aiokafka's AIOKafkaClient._metadata_update changed: check pace_metadata_rounds")

    async def paced(self: Any, cluster_metadata: Any, topics: Any) -> Any:
        loop = asyncio.get_running_loop()
        last: float | None = getattr(self, "_last_metadata_round", None)
        if last is not None and (wait := last + self._retry_backoff - loop.time()) > 0:
            await asyncio.sleep(wait)
        self._last_metadata_round = loop.time()
        return await update(self, cluster_metadata, topics)

    paced.paced = True  # type: ignore[attr-defined]
    client_class._metadata_update = paced


pace_metadata_rounds()


def client_options(credentials: KafkaCredentials) -> dict[str, Any]:
    """aiokafka keyword arguments every client of the platform uses: SASL/SCRAM as `credentials`, and
    the backoff above. There is no unauthenticated variant."""
    options: dict[str, Any] = {
        "security_protocol": credentials.security_protocol, "sasl_mechanism": credentials.mechanism,
        "sasl_plain_username": credentials.username, "sasl_plain_password": credentials.password,
        **BACKOFF,
    }
    if credentials.security_protocol == "SASL_SSL":
        options["ssl_context"] = ssl_context(credentials)
    return options


def ssl_context(credentials: KafkaCredentials) -> ssl.SSLContext:
    context: ssl.SSLContext = create_ssl_context(cafile=credentials.ca_file)
    return context


def credentials_of(principal: str) -> KafkaCredentials:
    """`principal` with its password from the secrets file."""
    return KafkaCredentials.of(principal)


def default_credentials(principal: str) -> KafkaCredentials:
    """`KAFKA_USERNAME`/`KAFKA_PASSWORD` when set, else `principal` (a tool's usual role)."""
    return StackSettings().kafka_credentials(principal)


class ActingProducer:
    """Sends each topic as the principal the ACL table lets write it (admin where no principal may:
    account credits on wallet.commands). For tools that play the platform's clients (the demo, the
    simulator, tests): one idempotent producer per principal, started on first use. Never a service's."""

    def __init__(self, bootstrap: str, **producer_options: Any) -> None:
        self._bootstrap, self._options = bootstrap, producer_options
        self._producers: dict[str, AIOKafkaProducer] = {}
        self._starting = asyncio.Lock()  # two sends for a new principal at once start one producer

    async def __aenter__(self) -> ActingProducer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def producer_for(self, topic: Topic) -> AIOKafkaProducer:
        from libs.messaging.acl import acting_principal

        principal = acting_principal(topic)
        async with self._starting:
            if principal not in self._producers:
                producer = AIOKafkaProducer(bootstrap_servers=self._bootstrap, client_id=f"acting-{principal}",
                                            **self._options, **client_options(credentials_of(principal)))
                await producer.start()
                self._producers[principal] = producer
        return self._producers[principal]

    async def send(self, topic: Topic, name: str, value: bytes, **kwargs: Any) -> Any:
        """Enqueue to `name` (the topic's name in its namespace); returns the delivery future."""
        return await (await self.producer_for(topic)).send(name, value, **kwargs)

    async def send_and_wait(self, topic: Topic, name: str, value: bytes, **kwargs: Any) -> Any:
        return await (await self.producer_for(topic)).send_and_wait(name, value, **kwargs)

    async def flush(self) -> None:
        for producer in list(self._producers.values()):  # a send may start another principal's meanwhile
            await producer.flush()

    async def stop(self) -> None:
        producers, self._producers = list(self._producers.values()), {}
        for producer in producers:
            await producer.stop()
