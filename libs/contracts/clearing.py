"""Clearing's facts for operators: cycles closed and reconciled between pooling regions."""

from __future__ import annotations

from libs.contracts import topics

CARRIES: dict[str, tuple] = {topics.CLEARING_EVENTS.name: ()}
