"""structlog set-up: logs go to stderr (or ``--log-file``), never to stdout, which carries output only."""

from __future__ import annotations

import logging
import sys
from typing import TextIO


def configure_logging(debug: bool = False, log_file: str | None = None) -> None:
    import structlog

    stream: TextIO = open(log_file, "a", encoding="utf-8") if log_file else sys.stderr  # noqa: SIM115
    level = logging.DEBUG if debug else logging.WARNING
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.dev.ConsoleRenderer(colors=False) if not log_file else structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=True,
    )
