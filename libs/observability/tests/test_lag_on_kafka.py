"""Consumer lag measured against the real Kafka and exported in the Prometheus format."""

from __future__ import annotations

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import OffsetAndMetadata
from prometheus_client import CollectorRegistry, generate_latest

from libs.contracts.topics import WALLET_COMMANDS
from libs.messaging.connection import ActingProducer, client_options, credentials_of
from libs.observability.lag import LagCollector

pytestmark = pytest.mark.integration


async def test_a_group_that_committed_four_of_ten_records_lags_six_behind(namespace) -> None:
    bootstrap, prefix = namespace.stack.kafka_bootstrap, namespace.topic_prefix
    topic = prefix + WALLET_COMMANDS.name
    async with ActingProducer(bootstrap) as office:
        for n in range(10):
            await office.send_and_wait(WALLET_COMMANDS, topic, f"record {n}".encode(), partition=1)
    group = prefix + "wallet-lagtest"  # a group the wallet's principal may join and commit for
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                                **client_options(credentials_of("wallet")))
    await consumer.start()
    try:
        partition = TopicPartition(topic, 1)
        consumer.assign([partition])
        ends = await consumer.end_offsets([partition])
        await consumer.commit({partition: OffsetAndMetadata(ends[partition] - 6, "")})
    finally:
        await consumer.stop()

    collector = LagCollector(bootstrap, prefix, options=client_options(credentials_of("console")))  # describes all
    measured = await collector.measure_once()

    mine = [p for p in measured if p.group == "wallet-lagtest"]
    assert [(p.topic, p.partition, p.lag) for p in mine] == [("wallet.commands", 1, 6)]
    registry = CollectorRegistry()
    collector.register(registry)
    text = generate_latest(registry).decode()
    assert 'medins_consumer_group_lag{group="wallet-lagtest",partition="1",topic="wallet.commands"} 6.0' in text
    assert "medins_consumer_group_lag_measured_timestamp_seconds" in text
