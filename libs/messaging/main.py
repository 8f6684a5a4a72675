"""Run a service's FastStream application until SIGINT/SIGTERM (FastStream handles the signals)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


def run(bootstrap: Callable[[], tuple[Any, Any]]) -> None:
    _, app = bootstrap()
    asyncio.run(app.run())
