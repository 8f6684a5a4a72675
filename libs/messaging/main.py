"""Run a service's FastStream application until SIGINT/SIGTERM (FastStream handles the signals).

The event loop is uvloop's where it is installed (it is pinned in requirements.txt): the services
spend a good share of their CPU in the loop itself, and uvloop's is several times cheaper than the
standard library's (docs/performance.md). `EVENT_LOOP=asyncio` forces the standard one.

The cyclic garbage collector ran about every 700 allocations, and a batch of claims allocates
hundreds of thousands of short-lived objects (messages, models, rows) that reference counting frees
anyway: it cost 5 % of the settlement process. What start-up built (modules, policy packs,
catalogues) is frozen out of its scans and the young generation is collected every 20,000
allocations instead; cycles are still collected.
"""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import Callable
from typing import Any


def run(bootstrap: Callable[[], tuple[Any, Any]]) -> None:
    _, app = bootstrap()
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
    if os.environ.get("EVENT_LOOP", "uvloop") == "uvloop":
        try:
            import uvloop
        except ImportError:  # a platform uvloop does not build on (Windows): the standard loop
            pass
        else:
            uvloop.run(app.run())
            return
    asyncio.run(app.run())
