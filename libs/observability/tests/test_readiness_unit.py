"""`/ready`'s checks answer "not ready" when what they ask does not answer, and never hang the probe."""

from __future__ import annotations

import asyncio

from libs.observability import readiness


class SilentCluster:
    async def fetch_all_metadata(self) -> None:
        await asyncio.sleep(3600)  # a broker that accepts the connection and never answers


class Producer:
    client = SilentCluster()


async def test_a_kafka_that_does_not_answer_makes_the_kafka_check_false_within_its_timeout(monkeypatch) -> None:
    monkeypatch.setattr(readiness, "CHECK_TIMEOUT", 0.2)
    started = asyncio.get_running_loop().time()
    checks = await readiness.Readiness({"kafka": lambda: readiness.kafka_answers(Producer())}).run()
    assert checks == {"kafka": False}
    assert asyncio.get_running_loop().time() - started < 1.0


async def test_a_process_without_a_producer_or_a_pool_is_not_ready() -> None:
    checks = await readiness.Readiness({
        "kafka": lambda: readiness.kafka_answers(None),
        "database": lambda: readiness.database_answers(None),
        "migrations": lambda: readiness.migrations_applied(None, {}),
    }).run()
    assert checks == {"kafka": False, "database": False, "migrations": False}


async def test_a_check_that_raises_is_false_and_the_others_still_answer() -> None:
    async def broken() -> bool:
        raise ConnectionResetError("gone")

    async def fine() -> bool:
        return True

    assert await readiness.Readiness({"database": broken, "consumers": fine}).run() == {"database": False, "consumers": True}
