"""Inbox retention on the real Postgres: expired ids go, recent ones stay, whatever the chunk size."""

from __future__ import annotations

from datetime import timedelta

import pytest

from libs.messaging.retention import purge_inbox
from libs.settings import ServiceSettings

pytestmark = pytest.mark.integration


@pytest.fixture
def pool(messaging_pool):
    return messaging_pool


async def test_ids_older_than_the_retention_are_purged_in_chunks_and_recent_ones_kept(pool) -> None:
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO inbox (consumer, message_id, received_at)"
            " SELECT 'c', 'old-' || n, now() - interval '15 days' - n * interval '1 minute' FROM generate_series(1, 25) n")
        await conn.execute(
            "INSERT INTO inbox (consumer, message_id, received_at)"
            " SELECT 'c', 'new-' || n, now() - interval '13 days' FROM generate_series(1, 5) n")
        await conn.execute("INSERT INTO inbox (consumer, message_id) VALUES ('c', 'now')")

    assert await purge_inbox(pool, timedelta(days=14), chunk=10) == 25
    async with pool.acquire() as conn:
        left = {r["message_id"] for r in await conn.fetch("SELECT message_id FROM inbox")}
    assert left == {f"new-{n}" for n in range(1, 6)} | {"now"}
    assert await purge_inbox(pool, timedelta(days=14)) == 0


def test_the_retention_cannot_be_set_within_kafkas_seven_days(monkeypatch) -> None:
    monkeypatch.setenv("INBOX_RETENTION_DAYS", "7")
    with pytest.raises(ValueError):
        ServiceSettings(service_name="wallet")
