"""Run a service's FastStream application until SIGINT/SIGTERM (FastStream handles the signals).

The event loop is uvloop's where it is installed (it is pinned in requirements.txt): the services
spend a good share of their CPU in the loop itself, and uvloop's is several times cheaper than the
standard library's (docs/performance.md). `EVENT_LOOP=asyncio` forces the standard one.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any


def run(bootstrap: Callable[[], tuple[Any, Any]]) -> None:
    _, app = bootstrap()
    if os.environ.get("EVENT_LOOP", "uvloop") == "uvloop":
        try:
            import uvloop
        except ImportError:  # a platform uvloop does not build on (Windows): the standard loop
            uvloop = None
        if uvloop is not None:
            uvloop.run(app.run())
            return
    asyncio.run(app.run())
