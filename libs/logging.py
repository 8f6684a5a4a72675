"""structlog JSON lines: service name, event id and correlation id bound, personal data masked."""

from __future__ import annotations

import logging
import sys
from typing import Any

import orjson
import structlog

from libs.masking import mask_value


def _mask(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    return {key: mask_value(key, value) for key, value in event_dict.items()}


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
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)


def get_logger(name: str | None = None) -> structlog.typing.FilteringBoundLogger:
    return structlog.get_logger(name)
