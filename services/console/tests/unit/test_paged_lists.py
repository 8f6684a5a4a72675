"""The console shows the clearing lists it needs whole, following each page's `next_after` to the end."""

from __future__ import annotations

from typing import Any, cast

from services.console.adapters.services import ServicesClient
from services.console.service_layer.pages import MAX_CYCLES, Pages


class PagedClearing:
    """Clearing's list endpoints answering two entries a page, as a reply with `next_after` does."""

    def __init__(self, cycles: list[dict[str, Any]]) -> None:
        self.cycles = cycles
        self.asked: list[dict[str, Any]] = []

    async def get(self, service: str, path: str, token: str | None = None, **params: Any) -> tuple[int, Any]:
        self.asked.append(params)
        start = next((i + 1 for i, c in enumerate(self.cycles) if c["cycle_id"] == params.get("after")), 0)
        page = self.cycles[start:start + 2]
        more = start + 2 < len(self.cycles)
        return 200, {"cycles": page, "next_after": page[-1]["cycle_id"] if more else None}


def cycle(scope: str, month: int) -> dict[str, Any]:
    start = f"2026-{month:02d}-01"
    return {"cycle_id": f"{scope}/{start}", "period_start": start, "opened_at": f"{start}T00:00:00+08:00"}


async def test_the_cycle_list_is_read_to_its_last_page_and_the_newest_cycles_shown() -> None:
    cycles = [cycle(scope, month) for scope in ("national", "provincial-43") for month in range(1, 13)]
    clearing = PagedClearing(sorted(cycles, key=lambda c: c["cycle_id"]))
    shown = await Pages(None, cast(ServicesClient, clearing), "", frozenset()).clearing("token")  # it only calls get()
    assert len(clearing.asked) == 12 and all(p["limit"] == 1000 for p in clearing.asked)
    assert len(shown["cycles"]) == MAX_CYCLES and shown["cycles"][0]["period_start"] == "2026-12-01"
