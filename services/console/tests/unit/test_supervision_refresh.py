"""The supervision page's alerts are computed at most once per refresh interval, by one request at a time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from services.console.service_layer.pages import Pages

NOON = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)


def counting_pages(every: timedelta) -> tuple[Pages, list[datetime]]:
    pages = Pages(lambda: None, None, "", frozenset(), supervision_every=every)  # type: ignore[arg-type]  # no service asked
    computed: list[datetime] = []

    async def read(query: Any, now: datetime, *args: Any) -> list[Any]:
        computed.append(now)
        await asyncio.sleep(0.01)  # the rules' scan takes a while: others asking meanwhile wait for it
        return []

    pages._read = read  # type: ignore[method-assign]  # the rules' scan, counted
    return pages, computed


async def test_officers_asking_within_the_interval_share_one_computation() -> None:
    pages, computed = counting_pages(timedelta(seconds=30))
    answers = await asyncio.gather(*(pages.supervision(NOON + timedelta(seconds=n)) for n in range(5)))
    assert computed == [NOON]
    assert {a["at"] for a in answers} == {NOON.isoformat()}


async def test_the_alerts_are_computed_again_once_the_interval_has_passed() -> None:
    pages, computed = counting_pages(timedelta(seconds=30))
    await pages.supervision(NOON)
    await pages.supervision(NOON + timedelta(seconds=29))
    later = await pages.supervision(NOON + timedelta(seconds=30))
    assert computed == [NOON, NOON + timedelta(seconds=30)] and later["at"] == computed[-1].isoformat()


async def test_an_interval_of_zero_computes_every_time() -> None:
    pages, computed = counting_pages(timedelta(0))
    for _ in range(3):
        await pages.supervision(NOON)
    assert len(computed) == 3
