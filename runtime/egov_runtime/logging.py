"""structlog JSON logging shared by every service.

Context such as the event id, correlation id and topic/partition/offset is bound with
``structlog.contextvars`` by the consumer loop, so every line logged while an event is handled
carries it; with tracing on, a line logged inside a span carries its ``trace_id``.
"""

from __future__ import annotations

import logging
import sys

import structlog

from egov_runtime.tracing import add_trace_ids


def configure_logging(service: str, level: str = "INFO") -> None:
    logging.basicConfig(format="%(message)s", stream=sys.stdout, level=level)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            add_trace_ids,  # tracing on: the trace of the line (egov_runtime.tracing)
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(service=service)


def get_logger(name: str = "egov") -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger
