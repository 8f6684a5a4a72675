"""structlog JSON lines: service name, event id and correlation id bound, personal data masked."""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

import orjson
import structlog

from libs.masking import mask_value


def _mask(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    return {key: mask_value(key, value) for key, value in event_dict.items()}


class RepeatedClientErrors(logging.Filter):
    """The Kafka client's own lines (aiokafka: "Unable connect to node", "Unable to update metadata"...)
    once per `window_s` for each kind, the next one saying how many were left out. During a broker
    outage each consumer of a process logged several such lines per retry (about 200 lines a second a
    process, tests/kafka/test_broker_outage.py); the retries themselves are paced by the clients'
    backoff (libs/messaging/connection.py)."""

    def __init__(self, prefixes: tuple[str, ...] = ("aiokafka",), window_s: float = 10.0) -> None:
        super().__init__()
        self.prefixes, self.window_s = prefixes, window_s
        self._seen: dict[tuple[str, object], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(self.prefixes):
            return True
        key, now = (record.name, record.msg), time.monotonic()
        since, left_out = self._seen.get(key, (float("-inf"), 0))
        if now - since < self.window_s:
            self._seen[key] = (since, left_out + 1)
            return False
        if len(self._seen) > 1000:
            self._seen.clear()
        self._seen[key] = (now, 0)
        if left_out:
            record.msg, record.args = f"{record.getMessage()} (and {left_out} more like it in {self.window_s:g} s)", None
        return True


def configure(service: str, level: str = "INFO") -> None:
    """Configure structlog and the standard library (aiokafka, faststream) to print JSON lines."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        _mask,
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.JSONRenderer(serializer=lambda o, **_: orjson.dumps(o, default=str).decode())],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stdout),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(service=service)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, structlog.processors.JSONRenderer()],
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        )
    )
    handler.addFilter(RepeatedClientErrors())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)


def get_logger(name: str | None = None) -> structlog.typing.FilteringBoundLogger:
    # structlog types this Any: the class is configure()'s wrapper_class, a filtering bound logger.
    logger: structlog.typing.FilteringBoundLogger = structlog.get_logger(name)
    return logger
