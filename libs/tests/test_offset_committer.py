"""Offsets committed in the background: only what was handled, and all of it before the consumer stops."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from aiokafka import TopicPartition
from aiokafka.errors import CommitFailedError

from libs.messaging import kafka
from libs.messaging.kafka import OffsetCommitter


class FakeConsumer:
    def __init__(self, assigned: set[TopicPartition]) -> None:
        self.assigned = assigned
        self.commits: list[dict[TopicPartition, int]] = []
        self.stopped = False
        self.fail_next: Exception | None = None

    def assignment(self) -> set[TopicPartition]:
        return self.assigned

    async def commit(self, offsets=None) -> None:
        if self.fail_next is not None:
            failure, self.fail_next = self.fail_next, None
            raise failure
        self.commits.append({tp: meta.offset for tp, meta in offsets.items()})

    async def stop(self) -> None:
        self.stopped = True


def records(partition: int, *offsets: int) -> list[SimpleNamespace]:
    return [SimpleNamespace(topic="t", partition=partition, offset=o) for o in offsets]


P0, P1 = TopicPartition("t", 0), TopicPartition("t", 1)


async def test_a_handled_batch_is_committed_in_the_background_and_a_failed_one_never() -> None:
    consumer = FakeConsumer({P0, P1})
    committer = OffsetCommitter(consumer)
    committer.fetched(records(0, 5, 6) + records(1, 9))
    await consumer.commit()  # FastStream's acknowledgement: returns at once, nothing sent yet
    assert consumer.commits == []
    committer.fetched(records(0, 7))  # this batch fails: FastStream seeks back, never acknowledges
    await committer.flush()
    assert consumer.commits == [{P0: 7, P1: 10}]
    await committer.flush()
    assert consumer.commits == [{P0: 7, P1: 10}]  # nothing new
    await consumer.stop()


async def test_stopping_commits_what_was_handled_first(monkeypatch) -> None:
    monkeypatch.setattr(kafka, "COMMIT_EVERY_S", 60)
    consumer = FakeConsumer({P0})
    committer = OffsetCommitter(consumer)
    committer.fetched(records(0, 1, 2, 3))
    await consumer.commit()
    await consumer.stop()
    assert consumer.commits == [{P0: 4}] and consumer.stopped


async def test_offsets_of_partitions_a_rebalance_took_are_dropped_and_a_broker_error_keeps_them() -> None:
    consumer = FakeConsumer({P0})
    committer = OffsetCommitter(consumer)
    committer.fetched(records(0, 1) + records(1, 1))
    await consumer.commit()
    consumer.fail_next = ConnectionError("broker away")
    try:
        await committer.flush()
    except OSError:
        pass
    committer.fetched(records(0, 2))
    await consumer.commit()
    await committer.flush()
    assert consumer.commits == [{P0: 3}]  # P1 was no longer assigned; P0's newer offset won
    consumer.fail_next = CommitFailedError("rebalanced")
    committer.fetched(records(0, 3))
    await consumer.commit()
    await committer.flush()  # dropped with a warning, not raised
    await consumer.stop()


async def test_the_background_task_commits_every_interval(monkeypatch) -> None:
    monkeypatch.setattr(kafka, "COMMIT_EVERY_S", 0.01)
    consumer = FakeConsumer({P0})
    committer = OffsetCommitter(consumer)
    committer.fetched(records(0, 41))
    await consumer.commit()
    for _ in range(100):
        if consumer.commits:
            break
        await asyncio.sleep(0.01)
    assert consumer.commits == [{P0: 42}]
    await consumer.stop()
